import { randomBytes } from "node:crypto";
import path from "node:path";
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { Plan } from "../../plan/plan.js";
import { DaeError, InputError } from "../../util/errors.js";
import type { Executor } from "../executor.js";
import type { TaskResult } from "../run-task.js";
import {
  decodeResult,
  DEFAULT_QUEUE,
  jobId,
  KEY_PREFIX,
  planKey,
  type TaskJob,
} from "./protocol.js";
import { connectRedis, redactRedisUrl } from "./redis.js";
import { exactReplacer } from "../../util/exact-json.js";
import type { RedisSecurity } from "./redis-security.js";

/** Options of the distributed executor. */
export interface DistributedOptions extends RedisSecurity {
  /** Redis URL: `redis://[user@]host:port[/db]` or `rediss://` (TLS); the password best apart (`password`). */
  redis: string;
  /** BullMQ queue name (default `dae-tasks`); workers must use the same. */
  queue?: string;
  /** Jobs queued or running at once (default 64): what a killed coordinator may leave half done. */
  inFlight?: number;
  /** Attempts per task before the run fails (default 3), with exponential backoff from `backoffMs` (default 1000). */
  attempts?: number;
  backoffMs?: number;
  /**
   * Seconds without any task taken, finished or failed (while tasks are awaited) before a note
   * says so and why it may be (default 60; repeated as long as it lasts).
   */
  stallReportSeconds?: number;
  /**
   * Seconds without any task moving, Redis not answering or no worker connected to the queue,
   * after which the run fails, its queued jobs removed, to be continued with `--resume`
   * (default 900). Connected workers on long tasks only get notes: their locks show them alive.
   */
  stallLimitSeconds?: number;
  /** Told about stalls (default: a `dae: note:` line on stderr). */
  onNote?: (message: string) => void;
}

/** A task whose result we wait for. */
interface Pending {
  k: number;
  resolve(r: TaskResult): void;
  reject(e: unknown): void;
}

/** The plan key lives this long unless refreshed: workers drop the jobs of a coordinator that died. */
const PLAN_TTL_SECONDS = 30;
/** How often queued jobs are checked against Redis (events lost to a Redis restart, jobs lost with its data). */
const WATCH_MS = 2000;
/** At most this long is spent removing a run's jobs at its end (Redis may be gone: then they expire). */
const CLEANUP_MS = 5000;
/** At most this long is spent asking Redis why nothing moves. */
const DIAGNOSE_MS = 2000;

/**
 * Runs tasks on `dae worker` processes through a BullMQ queue on Redis. The plan is stored
 * once under a run id; each task is a job `{runId, k}`; results (in-memory blocks, partial
 * reduction states) come back as job return values. Retries with backoff and recovery of
 * jobs whose worker died are BullMQ's. The run's jobs and plan are removed at the end, on
 * failure and on Ctrl-C; should the coordinator itself die, its plan expires and workers
 * drop its remaining jobs.
 */
export class DistributedExecutor implements Executor {
  readonly name = "distributed";
  readonly concurrency: number;
  readonly runId = randomBytes(8).toString("hex");
  private redis?: Redis;
  private eventsRedis?: Redis;
  private queue?: Queue<TaskJob>;
  private events?: QueueEvents;
  private planJson = "";
  private pending = new Map<string, Pending>();
  private timers: NodeJS.Timeout[] = [];
  private interrupted?: DaeError;
  /** When a task was last taken, finished or failed (or nothing was awaited). */
  private lastMove = performance.now();
  private lastReport = 0;
  private readonly onSigint = () =>
    this.interrupt(
      new DaeError("interrupted: the run's queued tasks were removed (continue it with --resume)"),
    );

  private readonly stallReportMs: number;
  private readonly stallLimitMs: number;

  constructor(private readonly options: DistributedOptions) {
    const inFlight = options.inFlight ?? 64;
    if (!(Number.isSafeInteger(inFlight) && inFlight >= 1))
      throw new InputError(`inFlight must be a positive integer, got ${inFlight}`);
    this.concurrency = inFlight;
    const seconds = (name: string, v: number) => {
      if (!(Number.isFinite(v) && v > 0))
        throw new InputError(`${name} must be a number of seconds > 0, got ${v}`);
      return v * 1000;
    };
    this.stallReportMs = seconds("stallReportSeconds", options.stallReportSeconds ?? 60);
    this.stallLimitMs = seconds("stallLimitSeconds", options.stallLimitSeconds ?? 900);
  }

  /** Connects to Redis now (`start` would), so a wrong URL fails before anything is written. */
  async connect(): Promise<void> {
    if (this.redis) return;
    this.redis = await connectRedis(this.options.redis, this.options);
    this.redis.on("error", () => undefined); // reconnects are ioredis's; tasks are re-checked by the watch
  }

  async start(plan: Plan): Promise<void> {
    // exactReplacer: a parameter of Infinity must not reach the workers as null
    this.planJson = JSON.stringify(portablePlan(plan), exactReplacer);
    await this.connect();
    const redis = this.redis!;
    await this.storePlan();
    const queueName = this.options.queue ?? DEFAULT_QUEUE;
    this.queue = new Queue<TaskJob>(queueName, { connection: redis, prefix: KEY_PREFIX });
    this.queue.on("error", () => undefined);
    // QueueEvents blocks on its connection: it gets one of its own
    this.eventsRedis = redis.duplicate();
    this.eventsRedis.on("error", () => undefined);
    this.events = new QueueEvents(queueName, { connection: this.eventsRedis, prefix: KEY_PREFIX });
    this.events.on("error", () => undefined);
    this.events.on("completed", ({ jobId: id, returnvalue }) =>
      this.settle(id, (p) => p.resolve(decodeResult(returnvalue, p.k))),
    );
    this.events.on("failed", ({ jobId: id, failedReason }) => void this.fail(id, failedReason));
    this.events.on("active", () => this.moved());
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    const refresh = setInterval(
      () => void this.storePlan().catch(() => undefined),
      (PLAN_TTL_SECONDS * 1000) / 3,
    );
    const watch = setInterval(() => void this.watch().catch(() => undefined), WATCH_MS);
    const stall = setInterval(
      () => void this.checkStall().catch(() => undefined),
      Math.min(1000, this.stallReportMs / 2),
    );
    this.timers.push(refresh, watch, stall);
    this.moved();
    process.on("SIGINT", this.onSigint);
  }

  async run(k: number): Promise<TaskResult> {
    if (this.interrupted) throw this.interrupted;
    const id = jobId(this.runId, k);
    const done = new Promise<TaskResult>((resolve, reject) =>
      this.pending.set(id, { k, resolve, reject }),
    );
    // it may be rejected (Ctrl-C, a stall) while the job is still being added: not an unhandled rejection
    done.catch(() => undefined);
    if (this.pending.size === 1) this.moved(); // the stall clock runs while tasks are awaited
    try {
      // adding waits while Redis is away; a stall failure must not wait for it
      await Promise.race([this.enqueue(k), done]);
    } catch (e) {
      this.pending.delete(id);
      throw e;
    }
    return done;
  }

  private enqueue(k: number) {
    return this.queue!.add(
      "task",
      { runId: this.runId, k },
      {
        jobId: jobId(this.runId, k),
        attempts: this.options.attempts ?? 3,
        backoff: { type: "exponential", delay: this.options.backoffMs ?? 1000 },
        // the coordinator takes each result and removes its job; what a dead coordinator leaves expires
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 24 * 3600 },
      },
    );
  }

  /** Stores (or, after a Redis restart lost it, restores) the plan, and keeps it from expiring. */
  private async storePlan(): Promise<void> {
    await this.redis!.set(planKey(this.runId), this.planJson, "EX", PLAN_TTL_SECONDS);
  }

  private settle(id: string, how: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.moved();
    try {
      how(p);
    } catch (e) {
      p.reject(e);
    }
    void this.queue?.remove(id).catch(() => undefined);
  }

  private async fail(id: string, reason: string): Promise<void> {
    const attempts = (await this.queue?.getJob(id).catch(() => undefined))?.attemptsMade;
    const after = attempts ? ` after ${attempts} attempt(s)` : "";
    this.settle(id, (p) => p.reject(new DaeError(`task ${p.k} failed${after}: ${reason}`)));
  }

  /**
   * Asks Redis about every job still awaited: one that finished while its event was lost is
   * settled; one that is gone (Redis restarted without persistence) is queued again —
   * tasks are idempotent, so running one twice is harmless.
   */
  private async watch(): Promise<void> {
    for (const [id, p] of [...this.pending]) {
      const state = await this.queue!.getJobState(id);
      if (state === "completed") {
        const job = await this.queue!.getJob(id);
        if (job) this.settle(id, (q) => q.resolve(decodeResult(job.returnvalue, q.k)));
      } else if (state === "failed") {
        const job = await this.queue!.getJob(id);
        if (job) await this.fail(id, job.failedReason);
      } else if (state === "unknown" && this.pending.has(id)) {
        await this.storePlan();
        await this.enqueue(p.k);
      }
    }
  }

  private moved(): void {
    this.lastMove = performance.now();
    this.lastReport = 0;
  }

  /**
   * While tasks are awaited and none has been taken, finished or failed for `stallReportSeconds`,
   * says so and why it may be (Redis away, no worker connected, workers busy on long tasks);
   * after `stallLimitSeconds` of Redis away or no worker, fails the run.
   */
  private async checkStall(): Promise<void> {
    const now = performance.now();
    if (this.pending.size === 0 || this.interrupted) return this.moved();
    const idle = now - this.lastMove;
    if (idle < this.stallReportMs || now - this.lastReport < this.stallReportMs) return;
    this.lastReport = now;
    const { why, hopeless } = await this.diagnose();
    const seconds = Math.round(idle / 1000);
    if (this.pending.size === 0 || now - this.lastMove < idle) return; // it moved meanwhile
    if (hopeless && idle >= this.stallLimitMs) {
      this.interrupt(
        new DaeError(
          `no task has moved for ${seconds} s (${why}): the run stopped (stallLimitSeconds ${this.stallLimitMs / 1000}); continue it with --resume`,
        ),
      );
      return;
    }
    const note = this.options.onNote ?? ((m: string) => process.stderr.write(`dae: note: ${m}\n`));
    const fails = hopeless ? `; the run fails after ${this.stallLimitMs / 1000} s` : "";
    note(
      `nothing has moved for ${seconds} s: ${why} (${this.pending.size} task(s) awaited${fails})`,
    );
  }

  /** Why no task may be moving, as far as Redis tells, and whether nothing can come of waiting. */
  private async diagnose(): Promise<{ why: string; hopeless: boolean }> {
    const where = redactRedisUrl(this.options.redis);
    if (this.redis?.status !== "ready")
      return { why: `Redis at ${where} does not answer`, hopeless: true };
    const queueName = this.options.queue ?? DEFAULT_QUEUE;
    const asked = await withTimeout(
      Promise.all([this.queue!.getWorkersCount(), this.queue!.getActiveCount()]),
      DIAGNOSE_MS,
    ).catch(() => undefined);
    if (!asked) return { why: `Redis at ${where} does not answer in time`, hopeless: true };
    const [workers, active] = asked;
    if (workers === 0)
      return {
        why: `no dae worker is connected to queue ${queueName} at ${where} (start one: dae worker --redis URL --allow STORE)`,
        hopeless: true,
      };
    return {
      why: `${workers} dae worker(s) connected, ${active} task(s) running: long tasks, or workers stuck`,
      hopeless: false,
    };
  }

  /** Fails every awaited task with `reason` (they stay listed, for `close` to remove their jobs). */
  private interrupt(reason: DaeError): void {
    this.interrupted = reason;
    for (const p of this.pending.values()) p.reject(reason);
  }

  /** Removes what is left of the run from Redis (queued jobs, the plan) and disconnects. */
  async close(): Promise<void> {
    process.off("SIGINT", this.onSigint);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.interrupt(this.interrupted ?? new DaeError("the run was closed"));
    const left = [...this.pending.keys()];
    this.pending.clear();
    const { queue, redis } = this;
    try {
      // a job a worker is running cannot be removed; it finds the plan gone and ends. Redis
      // may be away (a stall): then the plan expires, and workers drop the run's jobs
      if (redis?.status === "ready")
        await withTimeout(
          (async () => {
            if (queue) await Promise.all(left.map((id) => queue.remove(id).catch(() => undefined)));
            if (this.planJson) await redis.del(planKey(this.runId));
          })(),
          CLEANUP_MS,
        ).catch(() => undefined);
    } finally {
      if (redis?.status !== "ready") {
        redis?.disconnect();
        this.eventsRedis?.disconnect();
      }
      await withTimeout(Promise.all([this.events?.close(), this.queue?.close()]), CLEANUP_MS).catch(
        () => undefined,
      );
      this.redis?.disconnect();
      this.eventsRedis?.disconnect();
      this.redis = this.eventsRedis = undefined;
      this.queue = this.events = undefined;
    }
  }
}

/**
 * The plan with local paths made absolute, so workers started in another directory (on a
 * shared filesystem) find the same files.
 */
function portablePlan(plan: Plan): Plan {
  const local = (url: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : path.resolve(url));
  const graph = Object.fromEntries(
    Object.entries(plan.graph).map(([id, n]) => {
      if (n.op !== "source") return [id, n];
      if (n.ref.kind !== "dataset")
        throw new InputError(
          `${n.ref.key}: an in-memory array cannot be read by dae worker processes; write it to Zarr first`,
        );
      return [id, { ...n, ref: { ...n.ref, url: local(n.ref.url) } }];
    }),
  );
  const outputs = plan.outputs.map((o) =>
    o.target.kind === "zarr" ? { ...o, target: { ...o.target, url: local(o.target.url) } } : o,
  );
  return { ...plan, graph, outputs };
}

/** `p`, or a rejection after `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
