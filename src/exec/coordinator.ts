import { copyBox } from "../array/copy-box.js";
import type { NumberArray } from "../array/dtype.js";
import { boxShape, boxSize } from "../core/box.js";
import type { ReduceNode } from "../core/graph.js";
import { engineAllocate } from "../core/kernels/numeric.js";
import { reducer, type Reducer } from "../core/kernels/reductions.js";
import { blockBox, taskAt, totalDecodes, totalTasks, type Plan } from "../plan/plan.js";
import type { Executor, Progress } from "./executor.js";
import { LiveCounts } from "./live-counts.js";
import { deliver, finalizeState, type TaskEnvironment, type TaskResult } from "./run-task.js";
import { tuneMalloc } from "../util/malloc-tuning.js";

/** A block of a split reduction in progress: its parts combined so far (in part order), and parts that came early. */
interface SplitBlock {
  states?: Float64Array[][];
  next: number;
  early: Map<number, Float64Array[][]>;
}

/** While tasks run, progress is reported at least this often (besides after each task). */
const PROGRESS_INTERVAL_MS = 1000;

/** Options of `runPlan`. */
export interface RunOptions {
  /** Called once at the start, after each task, and every second between (bytes counted as tasks go). */
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Tasks already done (resume): they are not run again. */
  skip?: (k: number) => boolean;
  /**
   * Called when task `k` has written all it writes (to record it for resume). The parts of a
   * split reduction are reported together, when their combined block has been written.
   */
  onTaskDone?: (k: number) => Promise<void>;
}

/** The progress of a run of `plan` with `tasksDone` tasks done and nothing read, written or decoded. */
export function noProgress(plan: Plan, tasksDone: number): Progress {
  return {
    tasksDone,
    tasksTotal: totalTasks(plan),
    bytesRead: 0,
    bytesWritten: 0,
    decodes: 0,
    decodesTotal: totalDecodes(plan),
    elapsedSeconds: 0,
  };
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
  tuneMalloc();
  const started = performance.now();
  const total = totalTasks(plan);
  const progress = noProgress(plan, 0);
  const results = plan.outputs.map((o) =>
    o.target.kind === "memory"
      ? engineAllocate(
          plan.graph[o.id].dtype,
          boxSize({ start: plan.graph[o.id].shape.map(() => 0), stop: plan.graph[o.id].shape }),
        )
      : undefined,
  );
  const partials = new Map<string, SplitBlock>();
  // what running tasks counted so far; finished tasks' results (and the blocks of split
  // reductions written here) are the exact figures, which the live ones only lead
  const live = new LiveCounts();
  const report = () => {
    progress.elapsedSeconds = (performance.now() - started) / 1000;
    const now = live.read();
    options.onProgress?.({
      ...progress,
      bytesRead: Math.max(progress.bytesRead, now.bytesRead),
      bytesWritten: Math.max(progress.bytesWritten, now.bytesWritten),
      decodes: Math.max(progress.decodes, now.decodes),
    });
  };

  /** Combines and delivers a task's result; returns the tasks whose writes are now complete. */
  const finish = async (r: TaskResult): Promise<number[]> => {
    const task = taskAt(plan, r.task);
    const group = plan.groups[task.group];
    const box = blockBox(plan, task.group, task.block);
    let data = r.data;
    if (r.states) {
      // combine partial states of a split reduction; the last part finalises and delivers
      const key = `${task.group}|${task.block}`;
      const roots = group.outputs.map((i) => plan.graph[plan.outputs[i].id] as ReduceNode);
      const entry: SplitBlock = partials.get(key) ?? { next: 0, early: new Map() };
      partials.set(key, entry);
      // combine in part order, whatever order parts finish in, so the result's bits do not depend on timing
      entry.early.set(task.part!, r.states);
      for (let s = entry.early.get(entry.next); s; s = entry.early.get(entry.next)) {
        const acc = entry.states;
        if (acc) roots.forEach((n, j) => (reducer(n.fn) as Reducer).combine(acc[j], s![j]));
        else entry.states = s;
        entry.early.delete(entry.next++);
      }
      if (entry.next < group.split!.parts) return [];
      partials.delete(key);
      const delivered: Pick<TaskResult, "data" | "bytesWritten"> = { bytesWritten: 0 };
      const blocks = roots.map((n, j) => finalizeState(n, entry.states![j], boxSize(box)));
      await deliver(plan, group.outputs, blocks, box, env, delivered);
      progress.bytesWritten += delivered.bytesWritten;
      data = delivered.data;
    }
    group.outputs.forEach((i, j) => {
      const result = results[i];
      const block = data?.[j];
      if (!result || !block) return;
      const shape = plan.graph[plan.outputs[i].id].shape;
      copyBox(
        block,
        boxShape(box),
        box.start.map(() => 0),
        result,
        shape,
        box.start,
        boxShape(box),
      );
    });
    // parts are innermost in task order: the block's parts are the tasks just before and after this one
    if (!r.states) return [r.task];
    const first = r.task - task.part!;
    return Array.from({ length: group.split!.parts }, (_, i) => first + i);
  };

  await executor.start(plan, live);
  const ticks = options.onProgress && setInterval(report, PROGRESS_INTERVAL_MS);
  try {
    report();
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
          for (const done of await finish(r)) await options.onTaskDone?.(done);
          progress.tasksDone++;
          report();
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(executor.concurrency, total)) }, lane),
    );
    if (failure !== undefined) throw failure;
    report();
    return results;
  } finally {
    clearInterval(ticks);
    await executor.close();
  }
}
