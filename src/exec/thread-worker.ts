import { BlockPool } from "../array/block-pool.js";
import type { Plan } from "../plan/plan.js";
import { runTask, type TaskResult } from "./run-task.js";
import { adoptSnapshots, openSource, type MemorySnapshot } from "./sources.js";
import { openTarget } from "./targets.js";
import { DaeError } from "../util/errors.js";
import { collectGarbage } from "./collect-garbage.js";
import { LiveCounts } from "./live-counts.js";
import { WARM_UP } from "./thread-executor.js";

/** What the pool sends a worker thread for one task: plain data only, never code. */
export interface ThreadTask {
  plan: Plan;
  k: number;
  snapshots: Record<string, MemorySnapshot>;
  /** The run's `LiveCounts` (shared memory), if it counts. */
  live?: SharedArrayBuffer;
}

/** A task's result, or the message of a user-facing error (classes do not cross threads). */
export type ThreadReply = TaskResult | { userError: string };

/** This thread's reused block buffers. */
const blocks = new BlockPool();

/** Runs one task in a worker thread (piscina calls it through thread-worker-loader.cjs). */
export default async function runThreadTask(
  msg: ThreadTask | typeof WARM_UP,
): Promise<ThreadReply | undefined> {
  if (msg === WARM_UP) return undefined;
  adoptSnapshots(msg.snapshots);
  try {
    const live = msg.live && new LiveCounts(msg.live);
    return await runTask(msg.plan, msg.k, { openSource, openTarget, blocks, live });
  } catch (e) {
    if (e instanceof DaeError) return { userError: e.message };
    throw e;
  } finally {
    const { budget, workers, perTask } = msg.plan.memory;
    collectGarbage(budget / workers - perTask);
  }
}
