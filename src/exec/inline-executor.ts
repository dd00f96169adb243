import type { Plan } from "../plan/plan.js";
import type { Executor } from "./executor.js";
import type { LiveCounts } from "./live-counts.js";
import { runTask, type TaskEnvironment, type TaskResult } from "./run-task.js";

/** Runs tasks in the calling thread, one at a time: for tests, debugging and tiny arrays. */
export class InlineExecutor implements Executor {
  readonly name = "inline";
  readonly concurrency = 1;
  private plan?: Plan;
  private live?: LiveCounts;

  constructor(private readonly env: TaskEnvironment) {}

  async start(plan: Plan, live?: LiveCounts): Promise<void> {
    this.plan = plan;
    this.live = live;
  }

  run(k: number): Promise<TaskResult> {
    return runTask(this.plan!, k, { ...this.env, live: this.live });
  }

  async close(): Promise<void> {
    this.plan = undefined;
  }
}
