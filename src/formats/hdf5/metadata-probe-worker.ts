import { parentPort } from "node:worker_threads";
import { DaeError, InputError } from "../../util/errors.js";
import { hdf5Error } from "./h5wasm-module.js";
import { openHdf5 } from "./index.js";
import type { ProbeReply } from "./metadata-probe.js";

/** The probe thread: opens each file it is sent as `openHdf5` does, and says how that went. */
parentPort!.on("message", async (filePath: string) => {
  let reply: ProbeReply = {};
  try {
    const ds = await openHdf5(filePath);
    await ds.close?.();
  } catch (e) {
    const error = e instanceof DaeError ? e : hdf5Error(e, filePath);
    reply = { error: { message: error.message, input: error instanceof InputError } };
  }
  parentPort!.postMessage(reply);
});
