import { isMainThread, Worker } from "node:worker_threads";
import { FormatError, InputError } from "../../util/errors.js";

/**
 * How long reading a file's metadata (groups, datasets, attributes) may take in the probe.
 * Seconds are plenty for files with thousands of variables; the limit only catches a loop.
 */
export const PROBE_DEADLINE_MS = 60_000;

/** What the probe thread answers: nothing when the file opened, else the error to throw. */
export interface ProbeReply {
  error?: { message: string; input: boolean };
}

const workerFile = new URL(
  import.meta.url.endsWith(".ts")
    ? "./metadata-probe-worker-dev.mjs"
    : "./metadata-probe-worker.js",
  import.meta.url,
);

let worker: Worker | undefined;
/** Probes run one at a time, so a reply is always the current probe's. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Reads an HDF5 file's metadata once in a helper thread, with a deadline, before the calling
 * thread does. A corrupted file can send the HDF5 library into an endless loop (a global
 * heap object of size 0 behind a string attribute does) and synchronous wasm cannot be
 * interrupted on the thread that runs it: without the probe `dae` would hang on such a file
 * for ever. Only the main thread probes: the engine's worker threads open files the main
 * thread opened first. The probe thread stays (unreferenced) with h5wasm loaded, so a probe
 * after the first costs one more read of the metadata.
 *
 * @throws FormatError naming the file when the probe does not finish in `deadlineMs`, or
 *   the error the probe met (HDF5's message, one line).
 */
export async function probeHdf5(filePath: string, deadlineMs = PROBE_DEADLINE_MS): Promise<void> {
  if (!isMainThread) return;
  const run = queue.then(() => probeOnce(filePath, deadlineMs));
  queue = run.catch(() => undefined);
  await run;
}

function probeOnce(filePath: string, deadlineMs: number): Promise<void> {
  const w = (worker ??= startWorker());
  return new Promise<void>((resolve, reject) => {
    const stop = (fail?: Error) => {
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
      w.unref();
      if (fail) reject(fail);
      else resolve();
    };
    const onMessage = (reply: ProbeReply) => {
      const e = reply.error;
      // HDF5 can keep a file it failed on open (with the ids the error left) and answer the
      // next open of that path from its cache, and an abort leaves h5wasm dead: a failed
      // probe retires its thread
      if (e) retire(w);
      stop(e && (e.input ? new InputError(e.message) : new FormatError(e.message)));
    };
    const onError = (e: Error) => {
      retire(w); // the thread itself crashed
      stop(
        new FormatError(
          `${filePath}: HDF5: the library failed reading the file's metadata (${e.message.split("\n")[0]})`,
        ),
      );
    };
    const timer = setTimeout(() => {
      retire(w);
      stop(
        new FormatError(
          `${filePath}: HDF5: reading the file's metadata did not finish in ${deadlineMs / 1000} s; the file is probably corrupted`,
        ),
      );
    }, deadlineMs);
    w.on("message", onMessage);
    w.on("error", onError);
    w.ref();
    w.postMessage(filePath);
  });
}

function retire(w: Worker): void {
  if (worker === w) worker = undefined;
  void w.terminate();
}

function startWorker(): Worker {
  const w = new Worker(workerFile);
  w.on("exit", () => {
    if (worker === w) worker = undefined;
  });
  w.unref();
  return w;
}
