/** What a task has read, written and decoded. */
export interface Counts {
  bytesRead: number;
  bytesWritten: number;
  decodes: number;
}

/** How often a running task adds what it counted since the last time. */
const TASK_INTERVAL_MS = 250;

/**
 * What the tasks of a run have read, written and decoded so far, counted while they run, in
 * memory shared with the worker threads that run them.
 *
 * Why: a task reports its counts when it ends, and a large one takes a while; with these
 * counts the progress of a run moves while its tasks are under way.
 *
 * @example
 * ```ts
 * const live = new LiveCounts();
 * const stop = countWhileRunning(live, () => ({ bytesRead, bytesWritten, decodes }));
 * // ... the task runs; another thread reads live.read() now and then
 * stop();
 * ```
 */
export class LiveCounts {
  private readonly cells: BigInt64Array;

  /** `buffer`: the counts of another thread's `LiveCounts` (its `buffer`), shared. */
  constructor(readonly buffer = new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT)) {
    this.cells = new BigInt64Array(buffer);
  }

  add(d: Counts): void {
    if (d.bytesRead) Atomics.add(this.cells, 0, BigInt(d.bytesRead));
    if (d.bytesWritten) Atomics.add(this.cells, 1, BigInt(d.bytesWritten));
    if (d.decodes) Atomics.add(this.cells, 2, BigInt(d.decodes));
  }

  read(): Counts {
    return {
      bytesRead: Number(Atomics.load(this.cells, 0)),
      bytesWritten: Number(Atomics.load(this.cells, 1)),
      decodes: Number(Atomics.load(this.cells, 2)),
    };
  }
}

/**
 * Adds a running task's counts (`current()`, which only grow) to `live` every
 * TASK_INTERVAL_MS; the returned function adds the rest and stops.
 */
export function countWhileRunning(live: LiveCounts, current: () => Counts): () => void {
  let added: Counts = { bytesRead: 0, bytesWritten: 0, decodes: 0 };
  const addNew = () => {
    const now = current();
    live.add({
      bytesRead: now.bytesRead - added.bytesRead,
      bytesWritten: now.bytesWritten - added.bytesWritten,
      decodes: now.decodes - added.decodes,
    });
    added = now;
  };
  const timer = setInterval(addNew, TASK_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    addNew();
  };
}
