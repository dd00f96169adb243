import { copyBox } from "../array/copy-box.js";
import type { NumberArray } from "../array/dtype.js";
import { boxShape, boxSize } from "../core/box.js";
import type { ReduceNode } from "../core/graph.js";
import { engineAllocate } from "../core/kernels/numeric.js";
import { reducer, type Reducer } from "../core/kernels/reductions.js";
import { blockBox, taskAt, totalTasks, type Plan } from "../plan/plan.js";
import type { Executor, Progress } from "./executor.js";
import { deliver, finalizeState, type TaskEnvironment, type TaskResult } from "./run-task.js";

/** Options of `runPlan`. */
export interface RunOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Tasks already done (resume): they are not run again. */
  skip?: (k: number) => boolean;
  /** Called when task `k` has written all it writes (to record it for resume). */
  onTaskDone?: (k: number) => Promise<void>;
}

/**
 * Runs every task of `plan` on `executor`, keeping `executor.concurrency` in flight, and
 * returns the in-memory outputs (undefined for outputs written to storage). Partial states
 * of split reductions are combined here as their parts arrive, then finalised and written.
 * The first failure stops new tasks, waits for those in flight, and is thrown.
 */
export async function runPlan(
  plan: Plan,
  executor: Executor,
  env: TaskEnvironment,
  options: RunOptions = {},
): Promise<(NumberArray | undefined)[]> {
  const started = performance.now();
  const total = totalTasks(plan);
  const progress: Progress = { tasksDone: 0, tasksTotal: total, bytesRead: 0, bytesWritten: 0, decodes: 0, elapsedSeconds: 0 };
  const results = plan.outputs.map((o) => (o.target.kind === "memory" ? engineAllocate(plan.graph[o.id].dtype, boxSize({ start: plan.graph[o.id].shape.map(() => 0), stop: plan.graph[o.id].shape })) : undefined));
  const partials = new Map<string, { states: Float64Array[][]; parts: number }>();
  const report = () => {
    progress.elapsedSeconds = (performance.now() - started) / 1000;
    options.onProgress?.({ ...progress });
  };

  const finish = async (r: TaskResult) => {
    const task = taskAt(plan, r.task);
    const group = plan.groups[task.group];
    const box = blockBox(plan, task.group, task.block);
    let data = r.data;
    if (r.states) {
      // combine partial states of a split reduction; the last part finalises and delivers
      const key = `${task.group}|${task.block}`;
      const roots = group.outputs.map((i) => plan.graph[plan.outputs[i].id] as ReduceNode);
      const acc = partials.get(key);
      if (acc) roots.forEach((n, j) => (reducer(n.fn) as Reducer).combine(acc.states[j], r.states![j]));
      const entry = acc ?? { states: r.states, parts: 0 };
      entry.parts++;
      partials.set(key, entry);
      if (entry.parts < group.split!.parts) return;
      partials.delete(key);
      const delivered: Pick<TaskResult, "data" | "bytesWritten"> = { bytesWritten: 0 };
      const blocks = roots.map((n, j) => finalizeState(n, entry.states[j], boxSize(box)));
      await deliver(plan, group.outputs, blocks, box, env, delivered);
      progress.bytesWritten += delivered.bytesWritten;
      data = delivered.data;
    }
    group.outputs.forEach((i, j) => {
      const result = results[i];
      const block = data?.[j];
      if (!result || !block) return;
      const shape = plan.graph[plan.outputs[i].id].shape;
      copyBox(block, boxShape(box), box.start.map(() => 0), result, shape, box.start, boxShape(box));
    });
  };

  await executor.start(plan);
  try {
    let next = 0;
    let failure: unknown;
    const lane = async () => {
      while (failure === undefined && next < total) {
        const k = next++;
        if (options.skip?.(k)) {
          progress.tasksDone++;
          continue;
        }
        if (options.signal?.aborted) throw options.signal.reason ?? new Error("cancelled");
        try {
          const r = await executor.run(k);
          progress.bytesRead += r.bytesRead;
          progress.bytesWritten += r.bytesWritten;
          progress.decodes += r.decodes;
          await finish(r);
          await options.onTaskDone?.(k);
          progress.tasksDone++;
          report();
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(executor.concurrency, total)) }, lane));
    if (failure !== undefined) throw failure;
    report();
    return results;
  } finally {
    await executor.close();
  }
}
