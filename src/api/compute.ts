import { freemem } from "node:os";
import type { Attrs } from "../array/chunked-array.js";
import type { NumberArray } from "../array/dtype.js";
import type { Graph, SourceNode } from "../core/graph.js";
import { encodeTimeValue, timeCoding } from "../dataset/time-units.js";
import type { DistributedOptions } from "../exec/distributed/distributed-executor.js";
import type { Executor, Progress } from "../exec/executor.js";
import { InlineExecutor } from "../exec/inline-executor.js";
import { planFingerprint } from "../exec/resume.js";
import { runStages, type StageReport } from "../exec/run-stages.js";
import type { TaskEnvironment } from "../exec/run-task.js";
import { allShareable, openSource } from "../exec/sources.js";
import { openTarget } from "../exec/targets.js";
import { defaultWorkers, ThreadExecutor, warmThreads } from "../exec/thread-executor.js";
import { BlockPool } from "../array/block-pool.js";
import { createZarrArray } from "../formats/zarr/index.js";
import type { OutputTarget, Plan } from "../plan/plan.js";
import { makePlan } from "../plan/planner.js";
import { planStages, type StagedPlan } from "../plan/stages.js";
import type { Store } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import { parseBytes, sizeProblem } from "../util/format.js";
import type { Coord } from "./coords.js";
import type { LazyArray } from "./lazy-array.js";

/** How to run: memory budget, workers, executor, progress. */
export interface ComputeOptions {
  /** Memory budget for all running tasks: bytes or a size like `"512MB"` (default: half the free memory, at most 8 GB). */
  memory?: number | string;
  /** Worker threads (default: one per core). */
  workers?: number;
  /**
   * `threads` (default), `inline` (this thread: tests, debugging, tiny arrays) or
   * `distributed` (`dae worker` processes through Redis: give `redis`).
   */
  executor?: "threads" | "inline" | "distributed";
  /** Redis URL of the distributed executor: `redis://[user:password@]host:port[/db]` or `rediss://`. */
  redis?: string;
  /** More settings of the distributed executor (queue name, jobs in flight, attempts, backoff). */
  distributed?: Omit<DistributedOptions, "redis">;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** A computed array in memory. int64 results are held as Float64Array (exact to 2^53). */
export interface LoadedArray {
  name: string;
  dims: string[];
  shape: number[];
  dtype: string;
  data: NumberArray;
  coords: Record<string, Coord>;
  attrs: Attrs;
}

/** Options of `toZarr`. */
export interface ToZarrOptions extends ComputeOptions {
  /** Zarr format (default 3). */
  zarrFormat?: 2 | 3;
  /** Replace an existing store (default: refuse). */
  overwrite?: boolean;
  compressor?: "zstd" | "blosc" | "gzip" | "zlib" | "lz4" | "none";
  /** Let a costly rechunk go through an intermediate store (default true). */
  intermediates?: boolean;
  /**
   * Continue an unfinished output where it stopped (only unfinished tasks run; the bytes are
   * those of an uninterrupted run). A missing output is started; a complete one is left as it is.
   */
  resume?: boolean;
  /** Told about things worth knowing that are not errors (a stale lock taken over; default: stderr). */
  onNote?: (message: string) => void;
}

/** What a run did, for reports. */
export interface RunReport {
  /** The plan of the outputs' own stage (on resume, the recorded one). */
  plan: Plan;
  progress: Progress;
  /** Tasks found done by an earlier run (resume) and not run again. */
  tasksSkipped: number;
  /** What every stage did, in order, the outputs' own last (see `stagedPlan`). */
  stages: StageReport[];
}

const MAX_DEFAULT_MEMORY = 8 * 1024 ** 3;

/** The memory budget in bytes from an option. */
export function resolveMemory(memory: number | string | undefined): number {
  if (memory === undefined)
    return Math.max(256 << 20, Math.min(MAX_DEFAULT_MEMORY, Math.floor(freemem() / 2)));
  const n = typeof memory === "number" ? memory : parseBytes(memory);
  if (n === undefined || !(n > 0))
    throw new InputError(
      `memory budget ${typeof memory === "number" ? `${memory} is not a positive number of bytes` : sizeProblem(memory)}`,
    );
  return n;
}

function resolveWorkers(options: ComputeOptions): number {
  if (options.executor === "inline") return 1;
  const w = options.workers ?? defaultWorkers();
  if (!(Number.isInteger(w) && w >= 1))
    throw new InputError(`workers must be a positive integer, got ${w}`);
  return w;
}

/** The graph all `arrays` stand on. */
function mergeGraphs(arrays: LazyArray[]): Graph {
  return Object.assign({}, ...arrays.map((a) => a.built.graph));
}

/** Output chunks from an array's rechunk hints (the planner fills in the rest). */
function chunksOf(
  a: LazyArray,
  graphChunks: (a: LazyArray) => number[] | undefined,
): number[] | undefined {
  if (Object.keys(a.chunkHint).length === 0) return graphChunks(a);
  const base = graphChunks(a) ?? a.shape.map((n) => n);
  return a.dims.map((d, i) => Math.min(a.shape[i], a.chunkHint[d] ?? base[i]) || 1);
}

/** The request to plan `arrays` for `targets` with `options`. */
function request(
  arrays: LazyArray[],
  targets: OutputTarget[],
  options: ComputeOptions,
  chunks: (a: LazyArray) => number[] | undefined = () => undefined,
) {
  return {
    graph: mergeGraphs(arrays),
    outputs: arrays.map((a, i) => ({
      id: a.built.node.id,
      name: a.name,
      target: targets[i],
      chunks: chunksOf(a, chunks),
    })),
    memory: resolveMemory(options.memory),
    workers: resolveWorkers(options),
  };
}

/** Plans computing `arrays` to `targets` in one stage, without running anything (see `stagedPlan` for what a run does). */
export function plan(
  arrays: LazyArray[],
  targets: OutputTarget[],
  options: ComputeOptions = {},
  chunks?: (a: LazyArray) => number[] | undefined,
): Plan {
  return makePlan(request(arrays, targets, options, chunks));
}

/**
 * Every stage a run of `arrays` goes through (`dae plan`): loaded (`path` undefined) as
 * `compute` does, or written to the Zarr store at `path` as `toZarr` does. The run executes
 * exactly these stages.
 *
 * @example
 * ```ts
 * const { stages } = stagedPlan([anomaly], "out.zarr", { memory: "1GB" });
 * ```
 */
export function stagedPlan(
  arrays: LazyArray[],
  path: string | undefined,
  options: ToZarrOptions = {},
  chunks?: (a: LazyArray) => number[] | undefined,
): StagedPlan {
  const zarrFormat = options.zarrFormat ?? 3;
  const targets: OutputTarget[] = arrays.map((a) =>
    path === undefined ? { kind: "memory" } : { kind: "zarr", url: path, path: a.name, zarrFormat },
  );
  return planStages({
    ...request(arrays, targets, options, chunks),
    path,
    intermediates: options.intermediates,
    // distributed workers cannot read this process's memory: there, shared results are recomputed
    holdShared: options.executor !== "distributed",
  });
}

async function executorFor(
  plan: Plan,
  options: ComputeOptions,
  env: TaskEnvironment,
): Promise<Executor> {
  if (options.executor === "distributed") {
    if (!options.redis)
      throw new InputError("the distributed executor needs a Redis URL (redis option / --redis)");
    // loaded only when used: bullmq and ioredis take a while to load
    const { DistributedExecutor } = await import("../exec/distributed/distributed-executor.js");
    const executor = new DistributedExecutor({
      onNote: (options as ToZarrOptions).onNote,
      ...options.distributed,
      redis: options.redis,
    });
    await executor.connect(); // a wrong URL fails here, before anything is written
    return executor;
  }
  const sources = Object.values(plan.graph).filter((n): n is SourceNode => n.op === "source");
  if (options.executor === "inline" || !allShareable(sources))
    return new InlineExecutor({ ...env, blocks: new BlockPool() });
  return new ThreadExecutor(plan.memory.workers);
}

const environment: TaskEnvironment = { openSource, openTarget: (t) => openTarget(t) };

/** Starts the worker threads a run on threads will use, so that they load while this thread plans. */
function warmUp(arrays: LazyArray[], options: ComputeOptions): void {
  if (options.executor !== undefined && options.executor !== "threads") return;
  const workers = options.workers ?? defaultWorkers();
  const sources = Object.values(mergeGraphs(arrays)).filter(
    (n): n is SourceNode => n.op === "source",
  );
  if (Number.isInteger(workers) && workers >= 1 && allShareable(sources)) warmThreads(workers);
}

/**
 * Computes several arrays in one pass over their shared inputs and returns them in memory
 * (refused, before anything runs, when they do not fit the memory budget).
 *
 * @example
 * ```ts
 * const [m, s] = await compute([t.mean("time"), t.std("time")]);
 * ```
 */
export async function compute(
  arrays: LazyArray[],
  options: ComputeOptions = {},
): Promise<LoadedArray[]> {
  warmUp(arrays, options);
  const { results } = await runStages(stagedPlan(arrays, undefined, options), {
    env: environment,
    executorFor: (p) => executorFor(p, options, environment),
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return arrays.map((a, i) => ({
    name: a.name,
    dims: [...a.dims],
    shape: [...a.shape],
    dtype: a.dtype,
    data: results[i]!,
    coords: { ...a.coords },
    attrs: a.attrs,
  }));
}

/** Computes one array into memory. */
export async function load(array: LazyArray, options: ComputeOptions = {}): Promise<LoadedArray> {
  return (await compute([array], options))[0];
}

/**
 * Computes arrays and writes them, with their coordinates and attributes, as one Zarr store
 * that xarray opens as it is. Output chunks are written whole, once, atomically; the store's
 * root metadata is written last, so an interrupted run never looks complete. Shared results
 * and costly rechunks go through stages of their own first (see `stagedPlan`), in a work
 * directory beside the output that is removed after success.
 */
export async function toZarr(
  arrays: LazyArray | LazyArray[],
  path: string,
  options: ToZarrOptions = {},
): Promise<RunReport> {
  const list = Array.isArray(arrays) ? arrays : [arrays];
  warmUp(list, options);
  const names = new Set<string>();
  for (const a of list) {
    if (names.has(a.name))
      throw new InputError(`two outputs are named "${a.name}": rename one (name option / --name)`);
    names.add(a.name);
  }
  const zarrFormat = options.zarrFormat ?? 3;
  const staged = stagedPlan(list, path, options);
  const { stages } = await runStages(staged, {
    env: environment,
    executorFor: (p) => executorFor(p, options, environment),
    onProgress: options.onProgress,
    signal: options.signal,
    output: {
      path,
      zarrFormat,
      compressor: options.compressor,
      resume: options.resume,
      overwrite: options.overwrite,
      // what the caller asked for: the stages depend on the memory budget, a resume must not
      fingerprint: planFingerprint(staged.direct, { compressor: options.compressor ?? "zstd" }),
      attrs: list.map((a) => a.attrs),
      writeExtras: async (store) => {
        await writeCoords(store, list, zarrFormat, options);
        return coordNames(list);
      },
      onNote: options.onNote ?? ((m: string) => process.stderr.write(`dae: note: ${m}\n`)),
    },
  });
  const last = stages[stages.length - 1];
  return { plan: last.plan, progress: last.progress, tasksSkipped: last.tasksSkipped, stages };
}

function coordNames(list: LazyArray[]): string[] {
  return [...new Set(list.flatMap((a) => Object.keys(a.coords)))].filter(
    (d) => !list.some((a) => a.name === d),
  );
}

/** Writes each dim's coordinate (times encoded in their units and calendar). */
async function writeCoords(
  store: Store,
  list: LazyArray[],
  zarrFormat: 2 | 3,
  options: ToZarrOptions,
): Promise<void> {
  const coords = new Map<string, Coord>();
  for (const a of list)
    for (const [d, c] of Object.entries(a.coords)) if (!coords.has(d)) coords.set(d, c);
  for (const [dim, c] of coords) {
    if (list.some((a) => a.name === dim)) continue;
    let values = c.values;
    const attrs: Attrs = { ...c.attrs };
    if (c.time) {
      const coding = timeCoding(c.time.units, c.time.calendar);
      values = values.map((v) => encodeTimeValue(v, coding));
      attrs.units = c.time.units;
      attrs.calendar = c.time.calendar;
    }
    const array = await createZarrArray(store, dim, {
      shape: [values.length],
      dtype: "float64",
      dims: [dim],
      chunks: [Math.max(1, values.length)],
      fillValue: NaN,
      attrs,
      compressor: options.compressor,
      zarrFormat,
      parentGroups: false,
    });
    if (values.length) await array.writeChunk([0], values);
  }
}
