import { freemem } from "node:os";
import { join } from "node:path";
import { BlockPool } from "../array/block-pool.js";
import type { Attrs } from "../array/chunked-array.js";
import type { NumberArray } from "../array/dtype.js";
import { opName, type Graph, type SourceNode } from "../core/graph.js";
import { encodeTimeValue, timeCoding } from "../dataset/time-units.js";
import { finishZarrStore } from "../dataset/zarr-target.js";
import { runPlan } from "../exec/coordinator.js";
import type { DistributedOptions } from "../exec/distributed/distributed-executor.js";
import type { Executor, Progress } from "../exec/executor.js";
import { InlineExecutor } from "../exec/inline-executor.js";
import { chunkReleaser } from "../exec/release-chunks.js";
import { checkOutput, openOutputRun, planFingerprint } from "../exec/resume.js";
import type { TaskEnvironment } from "../exec/run-task.js";
import { allShareable, openSource } from "../exec/sources.js";
import { forgetTargets, openTarget } from "../exec/targets.js";
import { defaultWorkers, ThreadExecutor, warmThreads } from "../exec/thread-executor.js";
import { createZarrArray } from "../formats/zarr/index.js";
import { totalDecodes, totalTasks, type OutputTarget, type Plan } from "../plan/plan.js";
import { makePlan } from "../plan/planner.js";
import type { Store } from "../storage/store.js";
import { InputError, MemoryBudgetError } from "../util/errors.js";
import { parseBytes } from "../util/format.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { fromArray, openDataset } from "./open-dataset.js";
import { intermediateChunks, removeWorkDir, workCompressor, workDir } from "./rechunk-stages.js";
import { precomputeShared, recomputed } from "./shared-results.js";

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
  plan: Plan;
  progress: Progress;
  /** Tasks found done by an earlier run (resume) and not run again. */
  tasksSkipped: number;
}

const MAX_DEFAULT_MEMORY = 8 * 1024 ** 3;

/** The memory budget in bytes from an option. */
export function resolveMemory(memory: number | string | undefined): number {
  if (memory === undefined)
    return Math.max(256 << 20, Math.min(MAX_DEFAULT_MEMORY, Math.floor(freemem() / 2)));
  const n = typeof memory === "number" ? memory : parseBytes(memory);
  if (n === undefined || !(n > 0))
    throw new InputError(`memory budget "${memory}" is not a size like 512MB or 2GB`);
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

/** Plans computing `arrays` to `targets`, without running anything (`dae plan`). */
export function plan(
  arrays: LazyArray[],
  targets: OutputTarget[],
  options: ComputeOptions = {},
  chunks?: (a: LazyArray) => number[] | undefined,
): Plan {
  const graph = mergeGraphs(arrays);
  return makePlan({
    graph,
    outputs: arrays.map((a, i) => ({
      id: a.built.node.id,
      name: a.name,
      target: targets[i],
      chunks: chunksOf(a, chunks ?? (() => undefined)),
    })),
    memory: resolveMemory(options.memory),
    workers: resolveWorkers(options),
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
  const targets: OutputTarget[] = arrays.map(() => ({ kind: "memory" }));
  let p = plan(arrays, targets, options);
  // distributed workers cannot read this process's memory: there, shared results are recomputed
  const shared =
    options.executor === "distributed"
      ? undefined
      : await precomputeShared(arrays, p, (n, k, count) =>
          inMemory(n, inStage(options, sharedStage(k, count))),
        );
  if (shared) p = plan(shared, targets, options);
  const results = await runPlan(
    p,
    await executorFor(p, options, environment),
    environment,
    options,
  );
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

/**
 * What a run does before the plan `p` it was given, as notes: shared results computed once
 * first, and rechunks staged through an intermediate store (`toZarr` only) — the decisions
 * `compute` and `toZarr` take, so `dae plan` can say that the plan it shows is the last stage.
 */
export function stageNotes(
  list: LazyArray[],
  p: Plan,
  options: ComputeOptions,
  toZarr: boolean,
): string[] {
  const notes: string[] = [];
  const shared = toZarr || options.executor !== "distributed" ? recomputed(p) : [];
  for (const n of shared)
    notes.push(
      `at run time, ${opName(n)} (${n.dims.join("×")} = ${n.shape.join("×")}) is computed once first${toZarr ? " into the work store" : ""}; the tasks shown then read it instead of recomputing it`,
    );
  if (toZarr)
    stagedChunks(list, p, options).forEach((c, i) => {
      if (c)
        notes.push(
          `at run time, ${p.outputs[i].name} is rechunked in two stages through an intermediate store with chunks ${c.join("×")} (the plan shown decodes each source chunk many times)`,
        );
    });
  return notes;
}

/** Intermediate chunks of the outputs rechunked in two stages (see `intermediateChunks`), where both stages plan under the budget. */
function stagedChunks(
  list: LazyArray[],
  p: Plan,
  options: ComputeOptions,
): (number[] | undefined)[] {
  return intermediateChunks(
    list,
    p,
    (i, chunks) => {
      const a = list[i];
      const target: OutputTarget[] = [{ kind: "zarr", url: "", path: a.name, zarrFormat: 3 }];
      // the second stage reads the source as the first stage writes it: with the intermediate's chunks
      const node = { ...a.built.node, chunkShape: chunks };
      const intermediate = new LazyArray(
        { node, graph: { [node.id]: node } },
        a.coords,
        a.attrs,
        a.name,
        a.chunkHint,
      );
      try {
        plan([a.rechunk(hintOf(a, chunks))], target, options);
        plan([intermediate], target, options);
        return true;
      } catch (e) {
        if (e instanceof MemoryBudgetError) return false;
        throw e;
      }
    },
    resolveWorkers(options),
  );
}

/** Computes one array into memory. */
export async function load(array: LazyArray, options: ComputeOptions = {}): Promise<LoadedArray> {
  return (await compute([array], options))[0];
}

/**
 * Computes arrays and writes them, with their coordinates and attributes, as one Zarr store
 * that xarray opens as it is. Output chunks are written whole, once, atomically; the store's
 * root metadata is written last, so an interrupted run never looks complete.
 */
export async function toZarr(
  arrays: LazyArray | LazyArray[],
  path: string,
  options: ToZarrOptions = {},
): Promise<RunReport> {
  const list = Array.isArray(arrays) ? arrays : [arrays];
  warmUp(list, options);
  return writeOutputs(list, path, options);
}

/**
 * `toZarr`, with `intent`: the fingerprint of what the caller asked for, kept through the
 * rewrites below (shared results and rechunk stages depend on the memory budget, so a
 * resume with another budget must still recognise its output), and `usedUp`: ids of
 * sources (rechunk intermediates) whose chunks are deleted once no task needs them.
 */
async function writeOutputs(
  list: LazyArray[],
  path: string,
  options: ToZarrOptions,
  intent?: string,
  usedUp = new Set<string>(),
): Promise<RunReport> {
  const zarrFormat = options.zarrFormat ?? 3;
  const names = new Set<string>();
  for (const a of list) {
    if (names.has(a.name))
      throw new InputError(`two outputs are named "${a.name}": rename one (name option / --name)`);
    names.add(a.name);
  }
  const targets: OutputTarget[] = list.map((a) => ({
    kind: "zarr",
    url: path,
    path: a.name,
    zarrFormat,
  }));
  let p = plan(list, targets, options);
  const identity = { compressor: options.compressor ?? "zstd" };
  const fingerprint = intent ?? planFingerprint(p, identity);
  if (options.intermediates !== false) await checkOutput(path, options); // refuse an existing output before any stage
  const shared =
    options.intermediates === false
      ? undefined
      : await precomputeShared(list, p, (n, k, count) =>
          inWorkDir(n, path, `shared-${n.built.node.id}`, inStage(options, sharedStage(k, count))),
        );
  if (shared) {
    list = shared;
    p = plan(list, targets, options);
  }
  const staged = options.intermediates === false ? [] : stagedChunks(list, p, options);
  if (staged.some(Boolean)) {
    const replaced = await Promise.all(
      list.map((a, i) => (staged[i] ? viaIntermediate(a, staged[i]!, path, i, options) : a)),
    );
    const intermediates = new Set(replaced.filter((_, i) => staged[i]).map((a) => a.built.node.id));
    const report = await writeOutputs(
      replaced,
      path,
      { ...options, intermediates: false },
      fingerprint,
      intermediates,
    );
    await removeWorkDir(path);
    return report;
  }
  const onNote = options.onNote ?? ((m: string) => process.stderr.write(`dae: note: ${m}\n`));
  // the recorded plan of a resumed run has the same graph, so the same executor fits it
  const executor = await executorFor(p, options, environment);
  let out: Awaited<ReturnType<typeof openOutputRun>>;
  try {
    out = await openOutputRun(path, p, {
      resume: options.resume,
      overwrite: options.overwrite,
      fingerprint,
      onNote,
    });
  } catch (e) {
    await executor.close();
    throw e;
  }
  // on resume, the recorded plan: the same tasks as the run that started the output
  const run = out.plan;
  let last: Progress | undefined;
  let started = false;
  try {
    if (!out.alreadyComplete) {
      // idempotent: a resumed run writes the same metadata again (a crash may have cut it short)
      await writeCoords(out.store, list, zarrFormat, options);
      for (let i = 0; i < list.length; i++) {
        const a = list[i];
        await createZarrArray(out.store, a.name, {
          shape: [...a.shape],
          dtype: a.dtype,
          dims: [...a.dims],
          chunks: run.outputs[i].chunkShape,
          fillValue: a.dtype.startsWith("float") ? NaN : null,
          attrs: a.attrs,
          compressor: options.compressor,
          zarrFormat,
          parentGroups: false,
        });
      }
      forgetTargets();
      const usedUpChunks = chunkReleaser(run, usedUp, out.skip);
      started = true; // runPlan closes the executor
      try {
        await runPlan(run, executor, environment, {
          signal: options.signal ? AbortSignal.any([options.signal, out.signal]) : out.signal,
          skip: out.skip,
          onTaskDone: async (k) => {
            await out.taskDone(k);
            usedUpChunks.taskDone(k);
          },
          onProgress: (pr) => {
            last = pr;
            options.onProgress?.(pr);
          },
        });
      } catch (e) {
        await usedUpChunks.settled().catch(() => undefined); // the run's failure is the one to report
        throw e;
      }
      await usedUpChunks.settled();
      await finishZarrStore(out.store, [...names, ...coordNames(list)], {}, zarrFormat);
      await out.finish();
    }
  } finally {
    if (!started) await executor.close();
    await out.release();
  }
  if (shared) await removeWorkDir(path);
  const total = totalTasks(run);
  const progress = last ?? {
    tasksDone: total,
    tasksTotal: total,
    bytesRead: 0,
    bytesWritten: 0,
    decodes: 0,
    decodesTotal: totalDecodes(run),
    elapsedSeconds: 0,
  };
  return { plan: run, progress, tasksSkipped: out.doneBefore };
}

/** A shared result computed into memory (shared with worker threads, not copied) and read from there. */
async function inMemory(a: LazyArray, options: ComputeOptions): Promise<LazyArray> {
  const r = await load(a, options);
  const data = new (r.data.constructor as new (b: SharedArrayBuffer) => NumberArray)(
    new SharedArrayBuffer(r.data.byteLength),
  );
  data.set(r.data);
  // int64 results are held as float64 in the engine; other dtypes (bool too) keep theirs
  const dtype = a.dtype === "int64" || a.dtype === "uint64" ? "float64" : a.dtype;
  return fromArray(data, {
    shape: r.shape,
    dims: r.dims,
    chunks: r.shape.map((n, d) => (d === 0 ? 1 : n)),
    name: a.name,
    dtype,
  });
}

/** A shared result written to `name` in the output's work directory and read from there. */
async function inWorkDir(
  a: LazyArray,
  path: string,
  name: string,
  options: ToZarrOptions,
): Promise<LazyArray> {
  const work = join(workDir(path), `${name}.zarr`);
  // resumed with the output (named by what it holds, a finished one is what this run would write)
  await toZarr(a, work, workOptions(options, path));
  const { vars } = await openDataset(work, { decode: false });
  return vars[a.name];
}

/** `a` written to an intermediate store with `chunks`, and read back from there. */
async function viaIntermediate(
  a: LazyArray,
  chunks: number[],
  path: string,
  i: number,
  options: ToZarrOptions,
): Promise<LazyArray> {
  // named by what it holds, so a resumed run reuses a finished intermediate of the same expression only
  const work = join(workDir(path), `${i}-${a.built.node.id}-${chunks.join("x")}.zarr`);
  const stage = `rechunking ${a.name} to ${chunks.join("×")} first (an intermediate store)`;
  await toZarr(a.rechunk(hintOf(a, chunks)), work, workOptions(inStage(options, stage), path));
  // written past the page cache and read once: read past it too
  const { vars } = await openDataset(work, { decode: false, directReads: true });
  return new LazyArray(vars[a.name].built, a.coords, a.attrs, a.name, a.chunkHint);
}

/** How a part of the run before its outputs writes to the work directory of output `path`. */
function workOptions(options: ToZarrOptions, path: string): ToZarrOptions {
  return {
    ...options,
    zarrFormat: 3,
    compressor: workCompressor(path),
    overwrite: true,
    intermediates: false,
  };
}

function sharedStage(k: number, count: number): string {
  return `computing shared result ${k + 1} of ${count} first (used by every block)`;
}

/** `options` for a part of the run before its outputs: its progress says what the part computes. */
function inStage<O extends ComputeOptions>(options: O, stage: string): O {
  const report = options.onProgress;
  return report ? { ...options, onProgress: (p: Progress) => report({ ...p, stage }) } : options;
}

/** `chunks` as a rechunk hint of `a`, by dim. */
function hintOf(a: LazyArray, chunks: number[]): Record<string, number> {
  return Object.fromEntries(a.dims.map((d, k) => [d, chunks[k]]));
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
