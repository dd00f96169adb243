// Development only: when the engine runs from TypeScript sources under tsx, worker threads
// do not inherit tsx's loader, so this plain-JS worker registers it and then loads the real
// worker. Built code (dist/) uses thread-worker-loader.cjs and never loads this file.
import { register } from "tsx/esm/api";

register();
const worker = import("./thread-worker.ts");

export default async function runThreadTask(msg) {
  return (await worker).default(msg);
}
