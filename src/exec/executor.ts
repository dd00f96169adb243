import type { Plan } from "../plan/plan.js";
import type { LiveCounts } from "./live-counts.js";
import type { TaskResult } from "./run-task.js";

/**
 * Runs tasks of a plan somewhere: in this thread, in a worker-thread pool, or on other
 * machines. The coordinator decides what runs when; an executor only runs task `k`.
 */
export interface Executor {
  readonly name: string;
  /** How many tasks it runs at once. */
  readonly concurrency: number;
  /**
   * Prepares to run tasks of `plan` (e.g. ships it to workers). Executors whose tasks run in
   * this process (this thread or worker threads) add their counts to `live` as they go.
   */
  start(plan: Plan, live?: LiveCounts): Promise<void>;
  run(k: number): Promise<TaskResult>;
  /** Releases workers and queues; called after success, failure and cancellation. */
  close(): Promise<void>;
}

/** Progress of a run, as the CLI's bar and `--progress json` show it. */
export interface Progress {
  tasksDone: number;
  tasksTotal: number;
  bytesRead: number;
  bytesWritten: number;
  decodes: number;
  /** The chunk decodes the plan projects: `decodes / decodesTotal` is the share of reading done. */
  decodesTotal: number;
  elapsedSeconds: number;
  /**
   * Set in the parts of a run that come before its outputs (a shared result computed first, a
   * rechunk's intermediate store): what the part computes. Each part counts its own tasks.
   */
  stage?: string;
}
