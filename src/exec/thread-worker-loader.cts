// What piscina loads in each worker thread, as CommonJS. piscina loads a task file with
// require() first; on Node 20.19+ require() of an ES module instantiates it synchronously, and
// a thread ended meanwhile (a process exiting right after a warm-up) aborts the whole process
// (V8 fatal error: IsGraphAsync on an uninstantiated module). This file loads at once, and
// loads the engine's worker with import(), which a thread may be ended in at any moment.
import type { ThreadReply, ThreadTask } from "./thread-worker.js";

type RunThreadTask = (msg: ThreadTask | string) => Promise<ThreadReply | undefined>;

let worker: Promise<RunThreadTask> | undefined;

export = function runThreadTask(msg: ThreadTask | string): Promise<ThreadReply | undefined> {
  worker ??= import("./thread-worker.js").then((m) => m.default as RunThreadTask);
  return worker.then((run) => run(msg));
};
