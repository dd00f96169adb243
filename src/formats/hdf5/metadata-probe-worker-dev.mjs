// Development only (as src/exec/thread-worker-dev.mjs): under tsx a worker thread does not
// inherit tsx's loader, so this plain-JS entry registers it and loads the probe worker.
import { register } from "tsx/esm/api";

register();
await import("./metadata-probe-worker.ts");
