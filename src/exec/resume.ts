import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { refuseOverlap } from "../dataset/output-overlap.js";
import { prepareZarrTarget } from "../dataset/zarr-target.js";
import { isZarr } from "../formats/zarr/index.js";
import { exactReplacer } from "../util/exact-json.js";
import { totalTasks, type Plan } from "../plan/plan.js";
import { OutputLock, refuseIfHeld, RUN_DIR, type LockOptions } from "../storage/output-lock.js";
import { isS3Url } from "../storage/s3-store.js";
import type { Store } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import { clearTasksDone, readTasksDone, recordTaskDone } from "./done-record.js";
import { inputLocations } from "./sources.js";
import { outputStore } from "./targets.js";

/**
 * A run's records live in `.dae/` inside its output: `plan.json` (the plan and its
 * fingerprint, written before any chunk), the finished tasks (see done-record.ts, written
 * after each task's chunks) and `lock`. The folder is removed when the output is
 * complete, so a finished output is a plain Zarr store (with `.dae-complete`, the fingerprint
 * of what it holds); a folder that is there means the output is unfinished. Readers of Zarr
 * skip both (their names start with a dot).
 */
const PLAN_KEY = `${RUN_DIR}/plan.json`;
/**
 * The fingerprint of what a complete output holds, written by a run's end before its records
 * are removed: `--resume` of a complete output computed otherwise is refused, not reported
 * done with the old values.
 */
const COMPLETE_KEY = ".dae-complete";

/** What `.dae/plan.json` holds. */
interface RunRecord {
  version: 1;
  fingerprint: string;
  tasks: number;
  started: string;
  plan: Plan;
}

/** Options of `openOutputRun`. */
export interface OutputRunOptions {
  /** Continue an unfinished output (a missing or empty one is started; a complete one is left as it is). */
  resume?: boolean;
  /** Replace an existing output (complete or not). */
  overwrite?: boolean;
  /**
   * What the run was asked to compute (see `planFingerprint`): a resume must match the
   * recorded one. Default: the fingerprint of `plan`.
   */
  fingerprint?: string;
  /** Told about stale locks taken over and outputs found complete. */
  onNote?: (message: string) => void;
  /** See `LockOptions.staleAfterMs`. */
  staleAfterMs?: number;
}

/** An output being written by this run: its store, the plan to run, and what is done already. */
export interface OutputRun {
  store: Store;
  /** The plan to run: on resume, the recorded one (same tasks as before), with this run's output path. */
  plan: Plan;
  /** Tasks done before this run started (resume). */
  doneBefore: number;
  /** The output was already complete: nothing to run. */
  alreadyComplete: boolean;
  /** Aborted when another run takes the output's lock away. */
  signal: AbortSignal;
  skip(k: number): boolean;
  /** Records task `k` as done (call after its chunks are written). */
  taskDone(k: number): Promise<void>;
  /** Removes the run's records and its lock: call after the output is marked complete. */
  finish(): Promise<void>;
  /** Releases the lock, keeping the records (after a failure: the run can be resumed). */
  release(): Promise<void>;
}

/** What an output location holds, as far as starting a run there is concerned. */
interface OutputState {
  store: Store;
  /** A run's records are there: the output is unfinished. */
  unfinished: boolean;
  record?: RunRecord;
  done: Set<number>;
  /** A complete Zarr store (root metadata written). */
  complete: boolean;
}

/**
 * Looks at `path` and refuses what no run may do there: write over or into an input of
 * `plan`, write an output another live run is writing, or replace an unfinished one without
 * `resume` or `overwrite`.
 */
async function inspectOutput(
  path: string,
  plan: Plan,
  options: OutputRunOptions,
): Promise<OutputState> {
  await refuseOverlap(path, inputLocations(plan.graph));
  const store = outputStore(path);
  // the folder, not what it holds: a run killed while taking its lock leaves it with nothing whole inside
  const unfinished = (await store.list("")).includes(RUN_DIR);
  if (!unfinished) return { store, unfinished, done: new Set(), complete: await isZarr(store) };
  await refuseIfHeld(store, options.staleAfterMs);
  const record = await readRecord(store);
  const done = await readDone(store, record);
  if (!options.resume && !options.overwrite) {
    const progress = record ? `${done.size} of ${record.tasks} tasks done` : "no task done";
    throw new InputError(
      `${path}: exists and is unfinished (${progress}): continue it with --resume, or start again with --overwrite`,
    );
  }
  return { store, unfinished, record, done, complete: false };
}

/**
 * Refuses, before any work, an output location a run with these options could not write
 * (for runs with stages before the output's own: they fail at once, not after a stage).
 */
export async function checkOutput(
  path: string,
  plan: Plan,
  options: Pick<OutputRunOptions, "resume" | "overwrite" | "staleAfterMs">,
): Promise<void> {
  const state = await inspectOutput(path, plan, options);
  if (state.unfinished || options.overwrite || (options.resume && state.complete)) return;
  if ((await state.store.list("")).length > 0)
    throw new InputError(`${path}: already exists (overwrite it with --overwrite)`);
}

/**
 * Opens `path` for writing the outputs of `plan`: refuses an output another live run is
 * writing, refuses an unfinished output unless `resume` (continue it) or `overwrite` (start
 * again), refuses a resume whose plan differs from the recorded one, takes the lock, and
 * records the plan before anything else is written.
 */
export async function openOutputRun(
  path: string,
  plan: Plan,
  options: OutputRunOptions = {},
): Promise<OutputRun> {
  const fingerprint = options.fingerprint ?? planFingerprint(plan);
  const state = await inspectOutput(path, plan, options);
  let { store, record, done } = state;
  if (state.unfinished) {
    if (record && options.resume && record.fingerprint !== fingerprint)
      throw new InputError(
        `${path}: cannot resume: it was started with another plan (expression, inputs or chunks differ); run the same command again with --resume, or start again with --overwrite`,
      );
    // nothing recorded to continue, or asked to start again: the unfinished output is ours to clear
    if (!options.resume) record = undefined;
  } else if (options.resume && state.complete) {
    await refuseOtherComputation(path, store, fingerprint);
    options.onNote?.(`${path}: already complete; nothing to resume`);
    return completeRun(store, plan);
  }
  const lost = new AbortController();
  const lockOptions: LockOptions = {
    staleAfterMs: options.staleAfterMs,
    onNote: options.onNote,
    onLost: (message) => lost.abort(new InputError(message)),
  };
  let lock: OutputLock;
  if (record) lock = await OutputLock.acquire(store, lockOptions);
  else
    ({ store, lock } = await prepareZarrTarget(
      isS3Url(path) ? store : path,
      (options.overwrite ?? false) || state.unfinished,
      inputLocations(plan.graph),
      lockOptions,
    ));
  try {
    if (record) {
      // reread under the lock: a run that held it before may have recorded more
      done = await readDone(store, record);
      if (done.size === record.tasks)
        options.onNote?.(`${path}: every task was done; finishing its metadata`);
      if (!isS3Url(path)) await removePartials(path);
    } else {
      done = new Set();
      record = {
        version: 1,
        fingerprint,
        tasks: totalTasks(plan),
        started: new Date().toISOString(),
        plan,
      };
      await store.set(PLAN_KEY, new TextEncoder().encode(JSON.stringify(record)));
    }
  } catch (e) {
    await lock.release();
    throw e;
  }
  const doneBefore = done.size;
  return {
    store,
    plan: withOutputPath(record.plan, path),
    doneBefore,
    alreadyComplete: false,
    signal: lost.signal,
    skip: (k) => done.has(k),
    taskDone: (k) => recordTaskDone(store, k),
    async finish() {
      // what the complete output holds outlives the records: a later resume must match it
      await store.set(COMPLETE_KEY, new TextEncoder().encode(fingerprint));
      // the plan goes last: records without it would read as "nothing to resume"
      await clearTasksDone(store);
      await lock.release();
      await store.delete(PLAN_KEY);
      await store.delete(RUN_DIR);
    },
    release: () => lock.release(),
  };
}

/** Refuses to call a complete output the result of `fingerprint` unless its run recorded that. */
async function refuseOtherComputation(
  path: string,
  store: Store,
  fingerprint: string,
): Promise<void> {
  const bytes = await store.get(COMPLETE_KEY);
  const recorded = bytes && new TextDecoder().decode(bytes);
  if (recorded === fingerprint) return;
  const why = recorded
    ? "it holds the result of another computation (expression, inputs, chunks, dtype or compressor differ)"
    : "nothing records what computed it";
  throw new InputError(
    `${path}: is complete but cannot be resumed: ${why}; start again with --overwrite, or write elsewhere`,
  );
}

/** An output found complete when asked to resume it. */
function completeRun(store: Store, plan: Plan): OutputRun {
  return {
    store,
    plan,
    doneBefore: totalTasks(plan),
    alreadyComplete: true,
    signal: new AbortController().signal,
    skip: () => true,
    taskDone: async () => undefined,
    finish: async () => undefined,
    release: async () => undefined,
  };
}

/**
 * What decides what a plan writes: the graph (expression and inputs), each output's node,
 * name, chunks and Zarr path, and `identity` (facts besides the plan, like the compressor).
 * Not the output's location (a resume may spell it differently) nor the memory budget (a
 * resume runs the recorded blocks, whatever memory it is given).
 */
export function planFingerprint(plan: Plan, identity: unknown = null): string {
  const outputs = plan.outputs.map((o) => ({
    id: o.id,
    name: o.name,
    chunkShape: o.chunkShape,
    target:
      o.target.kind === "zarr"
        ? { path: o.target.path, zarrFormat: o.target.zarrFormat }
        : o.target,
  }));
  return createHash("sha256")
    .update(canonicalJson({ graph: plan.graph, outputs, identity }))
    .digest("hex");
}

/**
 * JSON with object keys sorted, so equal values give equal text whatever built them, and
 * NaN, ±Infinity and -0 spelled apart (`exactReplacer`).
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (key, value) => {
    const v = exactReplacer(key, value) as Record<string, unknown>;
    return v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v;
  });
}

/** The recorded plan with its Zarr targets at `path` (where this run writes). */
function withOutputPath(plan: Plan, path: string): Plan {
  return {
    ...plan,
    outputs: plan.outputs.map((o) =>
      o.target.kind === "zarr" ? { ...o, target: { ...o.target, url: path } } : o,
    ),
  };
}

async function readRecord(store: Store): Promise<RunRecord | undefined> {
  const bytes = await store.get(PLAN_KEY);
  if (!bytes) return undefined;
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as RunRecord;
    if (!(r.version === 1 && typeof r.fingerprint === "string" && r.plan)) return undefined;
    // plans recorded before scratch buffers were counted budgeted none (left undefined, a
    // resumed task's block pool would keep buffers without bound)
    if (r.plan.memory) r.plan.memory.scratchBytes ??= 0;
    return r;
  } catch {
    return undefined; // torn by a crash before it was renamed into place cannot happen; a foreign file can
  }
}

/**
 * Removes the temporary files of chunk writes a crash cut short (`FsStore` writes
 * `<key>.<random>.partial`, then renames it; S3 puts leave nothing behind).
 */
async function removePartials(dir: string): Promise<void> {
  const names = await fs.readdir(dir, { recursive: true });
  for (const name of names)
    if (name.endsWith(".partial")) await fs.rm(join(dir, name), { force: true });
}

/**
 * The tasks recorded done. Root metadata is written only after the last task (arrays are
 * created without their groups): where it is there, the run was stopped while clearing its
 * records (the finished tasks go first), and every task is done.
 */
async function readDone(store: Store, record: RunRecord | undefined): Promise<Set<number>> {
  if (record && (await isZarr(store)))
    return new Set(Array.from({ length: record.tasks }, (_, k) => k));
  return readTasksDone(store);
}

/** How many tasks the records of an unfinished output say are done, and of how many (for tests and reports). */
export async function recordedProgress(
  path: string,
): Promise<{ done: number; tasks: number } | undefined> {
  const store = outputStore(path);
  const record = await readRecord(store);
  if (!record) return undefined;
  return { done: (await readDone(store, record)).size, tasks: record.tasks };
}
