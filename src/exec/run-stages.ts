import { promises as fs } from "node:fs";
import type { Attrs } from "../array/chunked-array.js";
import type { NumberArray, TypedArray } from "../array/dtype.js";
import { fromTypedArray } from "../array/memory-array.js";
import { finishZarrStore } from "../dataset/zarr-target.js";
import { createZarrArray } from "../formats/zarr/index.js";
import { totalTasks, type Plan } from "../plan/plan.js";
import { workCompressor, workDir } from "../plan/rechunk-stages.js";
import type { Stage, StagedPlan } from "../plan/stages.js";
import type { Store } from "../storage/store.js";
import { noProgress, runPlan } from "./coordinator.js";
import type { Executor, Progress } from "./executor.js";
import { chunkReleaser } from "./release-chunks.js";
import { checkOutput, openOutputRun, planFingerprint } from "./resume.js";
import type { TaskEnvironment } from "./run-task.js";
import { registerMemorySource } from "./sources.js";
import { forgetTargets } from "./targets.js";

type Compressor = "zstd" | "blosc" | "gzip" | "zlib" | "lz4" | "none";

/** How the outputs' own stage writes to Zarr. */
export interface ZarrOutputOptions {
  path: string;
  zarrFormat: 2 | 3;
  compressor?: Compressor;
  resume?: boolean;
  overwrite?: boolean;
  /** What the run was asked to compute (see `planFingerprint`), kept through the stages. */
  fingerprint: string;
  /** Attributes of each output array. */
  attrs: Attrs[];
  /** Writes what goes beside the output arrays (coordinates) and returns the names it wrote. */
  writeExtras(store: Store): Promise<string[]>;
  onNote: (message: string) => void;
}

/** Options of `runStages`. */
export interface StagedRunOptions {
  env: TaskEnvironment;
  /** The executor of a stage (each stage gets its own: runPlan closes it). */
  executorFor(plan: Plan): Promise<Executor>;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** For outputs written to Zarr. */
  output?: ZarrOutputOptions;
}

/** What one stage of a run did. */
export interface StageReport {
  label?: string;
  /** The plan the stage ran (on resume of a stage that writes, the recorded one). */
  plan: Plan;
  progress: Progress;
  /** Tasks found done by an earlier run (resume) and not run again. */
  tasksSkipped: number;
}

/**
 * Runs a staged plan, stage by stage, exactly as planned: shared results held in memory are
 * published as the in-memory sources later stages read; work stores are written (and resumed)
 * like outputs, and removed when the last stage has succeeded; the outputs' own stage is
 * loaded, or written to Zarr with its metadata last so that an interrupted run never looks
 * complete. Progress of the stages before the outputs' carries their label.
 *
 * @example
 * ```ts
 * const { results } = await runStages(planStages(request), { env, executorFor });
 * ```
 */
export async function runStages(
  staged: StagedPlan,
  options: StagedRunOptions,
): Promise<{ results: (NumberArray | undefined)[]; stages: StageReport[] }> {
  const { output } = options;
  const stages: StageReport[] = [];
  // refuse an output no run may write before any stage runs
  if (output && staged.stages.length > 1) await checkOutput(output.path, staged.direct, output);
  let results: (NumberArray | undefined)[] = [];
  for (const stage of staged.stages) {
    const onProgress = options.onProgress && labelled(options.onProgress, stage.label);
    const how = { ...options, onProgress };
    if (stage.store !== undefined) {
      const compressor = workCompressor(output!.path);
      stages.push(
        await writeStage(stage, how, {
          path: stage.store,
          zarrFormat: 3,
          compressor,
          resume: output!.resume,
          overwrite: true,
          fingerprint: planFingerprint(stage.plan, { compressor }),
          attrs: stage.plan.outputs.map(() => ({})),
          writeExtras: async () => [],
          onNote: output!.onNote,
        }),
      );
    } else if (stage.holds === undefined && output) {
      stages.push(await writeStage(stage, how, output));
    } else {
      const report = reporter(stage, onProgress);
      results = await runPlan(stage.plan, await options.executorFor(stage.plan), options.env, {
        signal: options.signal,
        onProgress: report.update,
      });
      if (stage.holds) hold(stage.holds, results[0] as TypedArray);
      stages.push(report.done());
    }
  }
  if (output && staged.stages.length > 1)
    await fs.rm(workDir(output.path), { recursive: true, force: true });
  return { results, stages };
}

/** Labels the progress of a stage before the outputs' own. */
function labelled(report: (p: Progress) => void, stage: string | undefined) {
  return stage === undefined ? report : (p: Progress) => report({ ...p, stage });
}

/** Keeps a stage's last progress (or what a stage with nothing to run did: nothing). */
function reporter(stage: Stage, onProgress?: (p: Progress) => void, skipped = 0) {
  let last: Progress | undefined;
  return {
    update(p: Progress) {
      last = p;
      onProgress?.(p);
    },
    done(plan = stage.plan): StageReport {
      const progress = last ?? {
        ...noProgress(plan, totalTasks(plan)),
        ...(stage.label ? { stage: stage.label } : {}),
      };
      return { label: stage.label, plan, progress, tasksSkipped: skipped };
    },
  };
}

/** A shared result, shared with worker threads (not copied), as the in-memory source `node`. */
function hold(node: NonNullable<Stage["holds"]>, result: TypedArray): void {
  const data = new (result.constructor as new (b: SharedArrayBuffer) => TypedArray)(
    new SharedArrayBuffer(result.byteLength),
  );
  data.set(result as never);
  const array = fromTypedArray(data, {
    shape: node.shape,
    dims: node.dims,
    chunks: node.chunkShape,
    dtype: node.dtype,
    source: node.ref.kind === "memory" ? node.ref.key : "shared",
  });
  if (node.ref.kind === "memory") registerMemorySource(array, data, node.ref.key);
}

/** Runs a stage that writes Zarr arrays at `how.path`: resumable, its metadata written last. */
async function writeStage(
  stage: Stage,
  options: StagedRunOptions,
  how: ZarrOutputOptions,
): Promise<StageReport> {
  const plan = stage.plan;
  // the recorded plan of a resumed run has the same graph, so the same executor fits it
  const executor = await options.executorFor(plan);
  let out: Awaited<ReturnType<typeof openOutputRun>>;
  try {
    out = await openOutputRun(how.path, plan, {
      resume: how.resume,
      overwrite: how.overwrite,
      fingerprint: how.fingerprint,
      onNote: how.onNote,
    });
  } catch (e) {
    await executor.close();
    throw e;
  }
  // on resume, the recorded plan: the same tasks as the run that started the output
  const run = out.plan;
  const report = reporter({ ...stage, plan: run }, options.onProgress, out.doneBefore);
  let started = false;
  try {
    if (!out.alreadyComplete) {
      // idempotent: a resumed run writes the same metadata again (a crash may have cut it short)
      const extras = await how.writeExtras(out.store);
      for (let i = 0; i < run.outputs.length; i++) {
        const o = run.outputs[i];
        const node = run.graph[o.id];
        await createZarrArray(out.store, o.name, {
          shape: [...node.shape],
          dtype: node.dtype,
          dims: [...node.dims],
          chunks: o.chunkShape,
          fillValue: node.dtype.startsWith("float") ? NaN : null,
          attrs: how.attrs[i],
          compressor: how.compressor,
          zarrFormat: how.zarrFormat,
          parentGroups: false,
        });
      }
      forgetTargets();
      const usedUpChunks = chunkReleaser(run, new Set(stage.usedUp), out.skip);
      started = true; // runPlan closes the executor
      try {
        await runPlan(run, executor, options.env, {
          signal: options.signal ? AbortSignal.any([options.signal, out.signal]) : out.signal,
          skip: out.skip,
          onTaskDone: async (k) => {
            await out.taskDone(k);
            usedUpChunks.taskDone(k);
          },
          onProgress: report.update,
        });
      } catch (e) {
        await usedUpChunks.settled().catch(() => undefined); // the run's failure is the one to report
        throw e;
      }
      await usedUpChunks.settled();
      const names = [...run.outputs.map((o) => o.name), ...extras];
      await finishZarrStore(out.store, names, {}, how.zarrFormat);
      await out.finish();
    }
  } finally {
    if (!started) await executor.close();
    await out.release();
  }
  return report.done(run);
}
