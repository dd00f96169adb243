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
import { connectRedis } from "./redis.js";
import { exactReplacer } from "../../util/exact-json.js";

/** Options of the distributed executor. */
export interface DistributedOptions {
  /** Redis URL: `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
  redis: string;
  /** BullMQ queue name (default `dae-tasks`); workers must use the same. */
  queue?: string;
  /** Jobs queued or running at once (default 64): what a killed coordinator may leave half done. */
  inFlight?: number;
  /** Attempts per task before the run fails (default 3), with exponential backoff from `backoffMs` (default 1000). */
  attempts?: number;
  backoffMs?: number;
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
  private readonly onSigint = () =>
    this.interrupt(
      new DaeError("interrupted: the run's queued tasks were removed (continue it with --resume)"),
    );

  constructor(private readonly options: DistributedOptions) {
    const inFlight = options.inFlight ?? 64;
    if (!(Number.isSafeInteger(inFlight) && inFlight >= 1))
      throw new InputError(`inFlight must be a positive integer, got ${inFlight}`);
    this.concurrency = inFlight;
  }

  /** Connects to Redis now (`start` would), so a wrong URL fails before anything is written. */
  async connect(): Promise<void> {
    if (this.redis) return;
    this.redis = await connectRedis(this.options.redis);
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
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    const refresh = setInterval(
      () => void this.storePlan().catch(() => undefined),
      (PLAN_TTL_SECONDS * 1000) / 3,
    );
    const watch = setInterval(() => void this.watch().catch(() => undefined), WATCH_MS);
    this.timers.push(refresh, watch);
    process.on("SIGINT", this.onSigint);
  }

  async run(k: number): Promise<TaskResult> {
    if (this.interrupted) throw this.interrupted;
    const id = jobId(this.runId, k);
    const done = new Promise<TaskResult>((resolve, reject) =>
      this.pending.set(id, { k, resolve, reject }),
    );
    // it may be rejected (Ctrl-C) while the job is still being added: not an unhandled rejection
    done.catch(() => undefined);
    try {
      await this.enqueue(k);
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
    try {
      // a job a worker is running cannot be removed; it finds the plan gone and ends
      if (this.queue)
        await Promise.all(left.map((id) => this.queue!.remove(id).catch(() => undefined)));
      if (this.planJson && this.redis) await this.redis.del(planKey(this.runId));
    } finally {
      await this.events?.close();
      await this.queue?.close();
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
