import { parentPort } from "node:worker_threads";
import { DaeError, InputError } from "../../util/errors.js";
import { openHdf5 } from "./index.js";
import type { ProbeReply } from "./metadata-probe.js";

/** The probe thread: opens each file it is sent as `openHdf5` does, and says how that went. */
parentPort!.on("message", async ({ id, filePath }: { id: number; filePath: string }) => {
  let reply: ProbeReply = { id };
  try {
    const ds = await openHdf5(filePath);
    await ds.close?.();
  } catch (e) {
    if (/Aborted/.test(String((e as Error)?.message))) throw e; // the module is dead: end this thread
    const message = e instanceof DaeError ? e.message : `${filePath}: HDF5: ${String((e as Error)?.message ?? e).split("\n")[0]}`;
    reply = { id, error: { message, input: e instanceof InputError } };
  }
  parentPort!.postMessage(reply);
});
