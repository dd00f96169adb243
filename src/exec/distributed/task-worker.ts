import { realpathSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { totalTasks, type OutputTarget, type Plan } from "../../plan/plan.js";
import { DaeError, InputError } from "../../util/errors.js";
import { getVariable, type Dataset } from "../../dataset/dataset.js";
import { open } from "../../dataset/open.js";
import { runTask, type TaskEnvironment } from "../run-task.js";
import { collectGarbage } from "../collect-garbage.js";
import { targetOpener } from "../targets.js";
import {
  DEFAULT_QUEUE,
  encodeResult,
  KEY_PREFIX,
  parseTaskJob,
  planKey,
  type TaskJob,
  type WireResult,
} from "./protocol.js";
import { connectRedis } from "./redis.js";
import type { RedisSecurity } from "./redis-security.js";
import { validatePlan, type PlanPolicy } from "./validate-plan.js";
import { BlockPool } from "../../array/block-pool.js";
import { exactReviver } from "../../util/exact-json.js";
import { restrictUserKernels } from "../../core/kernels/user-kernels.js";
import type { SourceNode } from "../../core/graph.js";
import { AllowList } from "./allow-list.js";

/** Options of `startTaskWorker` (`dae worker`). */
export interface TaskWorkerOptions extends RedisSecurity {
  /** Redis URL: `redis://[user@]host:port[/db]` or `rediss://` (TLS); the password best apart (`password`). */
  redis: string;
  /** Queue name (default `dae-tasks`), as the coordinator's. */
  queue?: string;
  /** Tasks run at once (default 1). */
  concurrency?: number;
  /** Module files of user kernels, imported now; plans may use kernels from these only. */
  kernels?: string[];
  /**
   * The stores jobs may read and write: paths (compared by real path, links resolved) and URL
   * prefixes. Nothing else is allowed: without any, every job that names a store is refused.
   */
  allow?: string[];
  /** How long a running job's lock lasts unless renewed (default 30 s): a dead worker's job is taken back after about this long. */
  lockDurationMs?: number;
  /** Told about each task run (for logs). */
  onTask?: (event: { runId: string; k: number; ms: number; error?: string }) => void;
}

/** A running worker. */
export interface TaskWorker {
  /** Stops taking jobs and waits for the running ones to finish (`force`: abandon them to be retried elsewhere). */
  close(force?: boolean): Promise<void>;
}

/** A run as a worker knows it: its checked plan, where its tasks read and write, how many of its tasks run now. */
interface KnownRun {
  plan: Plan;
  env: RunEnvironment;
  running: number;
}

/** A task environment of one run: its inputs are opened afresh (an input rewritten between runs is read anew) and closed with it. */
interface RunEnvironment extends TaskEnvironment {
  close(): Promise<void>;
}

/** Plans kept per worker: a worker serves a few runs at a time, not hundreds. */
const MAX_RUNS = 16;

/**
 * Takes tasks of any run from the queue and runs them: reads the run's plan from Redis
 * (once per run), checks it and the job, runs the task, returns its result. A malformed
 * job or plan, or a run whose coordinator is gone, fails the job without retries; any
 * other error is retried by BullMQ with backoff.
 *
 * @example
 * ```ts
 * const worker = await startTaskWorker({
 *   redis: "redis://127.0.0.1:6379",
 *   allow: ["/shared/era5", "/shared/runs"],
 *   concurrency: 2,
 * });
 * process.once("SIGTERM", () => worker.close());
 * ```
 */
export async function startTaskWorker(options: TaskWorkerOptions): Promise<TaskWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1))
    throw new InputError(`concurrency must be a positive integer, got ${concurrency}`);
  const policy: PlanPolicy = {
    kernelModules: await loadKernels(options.kernels ?? []),
    allow: AllowList.of(options.allow ?? []),
  };
  const redis = await connectRedis(options.redis, options);
  redis.on("error", () => undefined); // ioredis reconnects; BullMQ resumes
  const runs = new Map<string, Promise<KnownRun>>();

  const knownRun = (runId: string): Promise<KnownRun> => {
    let run = runs.get(runId);
    if (!run) {
      run = loadRun(redis, runId, policy);
      runs.set(runId, run);
      run.catch(() => runs.delete(runId));
    }
    return run;
  };

  /** Forgets (and closes the inputs of) the oldest runs with no task running, beyond MAX_RUNS. */
  const forgetIdleRuns = async () => {
    for (const [runId, p] of runs) {
      if (runs.size <= MAX_RUNS) return;
      const run = await p.catch(() => undefined);
      if (run && run.running > 0) continue;
      runs.delete(runId);
      await run?.env.close();
    }
  };

  const runJob = async (job: Job<TaskJob>): Promise<WireResult> => {
    const started = performance.now();
    let task: TaskJob | undefined;
    try {
      task = parseTaskJob(job.data);
      // a run whose coordinator stopped (its plan expired or was removed) is not worked on
      if (!(await redis.exists(planKey(task.runId))))
        throw new InputError(`run ${task.runId} is gone (its coordinator stopped); task dropped`);
      const run = await knownRun(task.runId);
      if (task.k >= totalTasks(run.plan))
        throw new InputError(
          `malformed job: task ${task.k} of a plan with ${totalTasks(run.plan)} tasks`,
        );
      run.running++;
      let result: WireResult;
      try {
        result = encodeResult(await runTask(run.plan, task.k, run.env));
      } finally {
        run.running--;
        void forgetIdleRuns();
        // as worker threads do: dead blocks may fill what this process's share of the budget
        // (one plan worker per task run at once) leaves unused, no more; collecting after
        // every task cost tiny tasks most of their time (issue 23)
        const { budget, workers, perTask } = run.plan.memory;
        collectGarbage(concurrency * (budget / workers - perTask));
      }
      options.onTask?.({ runId: task.runId, k: task.k, ms: performance.now() - started });
      return result;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      options.onTask?.({
        runId: task?.runId ?? "?",
        k: task?.k ?? -1,
        ms: performance.now() - started,
        error: message,
      });
      // input faults do not get better by retrying; anything else (I/O, a lost connection) may
      if (e instanceof InputError) throw new UnrecoverableError(message);
      throw new Error(message, { cause: e });
    }
  };

  const lockDuration = options.lockDurationMs ?? 30_000;
  const worker = new Worker<TaskJob, WireResult>(options.queue ?? DEFAULT_QUEUE, runJob, {
    connection: redis,
    prefix: KEY_PREFIX,
    concurrency,
    lockDuration,
    stalledInterval: lockDuration,
    // a job whose worker died twice fails (the run then fails with that message)
    maxStalledCount: 2,
  });
  worker.on("error", () => undefined);
  await worker.waitUntilReady();
  return {
    async close(force = false) {
      await worker.close(force);
      redis.disconnect();
      for (const run of runs.values()) await run.then((r) => r.env.close()).catch(() => undefined);
      runs.clear();
    },
  };
}

/** Reads, parses and checks a run's plan. */
async function loadRun(redis: Redis, runId: string, policy: PlanPolicy): Promise<KnownRun> {
  const json = await redis.get(planKey(runId));
  if (json === null)
    throw new InputError(`run ${runId} is gone (its coordinator stopped); task dropped`);
  let value: unknown;
  try {
    value = JSON.parse(json, exactReviver);
  } catch {
    throw new InputError(`malformed plan of run ${runId}: not JSON`);
  }
  const plan = validatePlan(value, policy);
  return { plan, env: runEnvironment(policy.allow), running: 0 };
}

/**
 * Where a run's tasks read and write: each store is checked against the allow list again
 * when it is opened (a link may have changed since the plan was checked) and opened by the
 * real path the check gave.
 */
function runEnvironment(allow: AllowList): RunEnvironment {
  const datasets = new Map<string, Promise<Dataset>>();
  const opener = targetOpener();
  return {
    async openSource(node: SourceNode) {
      if (node.ref.kind !== "dataset")
        throw new InputError(`${node.ref.key}: in-memory arrays cannot reach a worker process`);
      const { decode, variable } = node.ref;
      const url = allow.check(node.ref.url, "input");
      const key = `${decode}|${url}`;
      let ds = datasets.get(key);
      if (!ds) {
        ds = open(url, { decode });
        datasets.set(key, ds);
        ds.catch(() => datasets.delete(key));
      }
      return getVariable(await ds, variable).array;
    },
    openTarget: (target: OutputTarget) =>
      opener(
        target.kind === "zarr" ? { ...target, url: allow.check(target.url, "output") } : target,
      ),
    blocks: new BlockPool(),
    async close() {
      for (const ds of datasets.values()) await ds.then((d) => d.close()).catch(() => undefined);
      datasets.clear();
    },
  };
}

/**
 * Imports the user kernel modules a worker may run, now, before any job, and makes them the
 * only ones this process will ever use; returns their real paths.
 */
async function loadKernels(files: string[]): Promise<Set<string>> {
  const loaded = new Map<string, Record<string, unknown>>();
  for (const file of files) {
    try {
      const real = realpathSync(path.resolve(file));
      loaded.set(real, (await import(pathToFileURL(real).href)) as Record<string, unknown>);
    } catch (e) {
      throw new DaeError(`--kernels ${file}: cannot load: ${(e as Error).message}`, { cause: e });
    }
  }
  restrictUserKernels(loaded);
  return new Set(loaded.keys());
}
