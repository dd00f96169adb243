import { Piscina } from "piscina";
import type { SourceNode } from "../core/graph.js";
import { cores } from "../util/codec-threads.js";
import { DaeError } from "../util/errors.js";
import type { Plan } from "../plan/plan.js";
import type { Executor } from "./executor.js";
import type { LiveCounts } from "./live-counts.js";
import type { TaskResult } from "./run-task.js";
import { memorySnapshots, type MemorySnapshot } from "./sources.js";
import type { ThreadReply, ThreadTask } from "./thread-worker.js";

/**
 * The worker script beside this file: a CommonJS loader of thread-worker.js (see
 * thread-worker-loader.cts); from TypeScript sources, one that registers tsx first.
 */
export const workerFile = new URL(
  import.meta.url.endsWith(".ts") ? "./thread-worker-dev.mjs" : "./thread-worker-loader.cjs",
  import.meta.url,
);

/** Default worker count: one per core. */
export function defaultWorkers(): number {
  return cores();
}

/**
 * Pools by size, kept between runs: a worker thread keeps its loaded codecs and opened
 * datasets, so a second run in the same process starts at once. Idle threads exit after
 * IDLE_MS; `closeThreadPools` ends them at once (the CLI calls it before exiting).
 */
const pools = new Map<number, Piscina>();
const IDLE_MS = 3000;

function poolOf(size: number): Piscina {
  let pool = pools.get(size);
  if (!pool) {
    pool = new Piscina({
      filename: workerFile.href,
      minThreads: 0,
      maxThreads: size,
      idleTimeout: IDLE_MS,
      // geotiff's web-worker dependency reads workerData on import in any worker thread
      workerData: {},
    });
    pools.set(size, pool);
  }
  return pool;
}

/** Sent to start a thread before there is a plan (see `warmThreads`): it only loads the worker's modules. */
export const WARM_UP = "warm-up";

/**
 * Starts the threads of a pool of `size` ahead of its first run: each loads the engine's
 * modules (~0.3 s) while the calling thread plans, instead of after.
 */
export function warmThreads(size: number): void {
  const pool = poolOf(size);
  for (let i = pool.threads.length; i < size; i++) pool.run(WARM_UP).catch(() => undefined);
}

/** Ends every worker thread of every pool. */
export async function closeThreadPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.destroy()));
}

/**
 * Runs tasks in a pool of worker threads (piscina), one per core by default. Tasks carry
 * the plan as data; in-memory sources cross as shared snapshots.
 */
export class ThreadExecutor implements Executor {
  readonly name = "threads";
  private pool?: Piscina;
  private plan?: Plan;
  private snapshots: Record<string, MemorySnapshot> = {};
  private live?: SharedArrayBuffer;

  constructor(readonly concurrency = defaultWorkers()) {}

  async start(plan: Plan, live?: LiveCounts): Promise<void> {
    this.plan = plan;
    this.live = live?.buffer;
    const sources = Object.values(plan.graph).filter((n): n is SourceNode => n.op === "source");
    this.snapshots = memorySnapshots(sources);
    this.pool = poolOf(this.concurrency);
  }

  async run(k: number): Promise<TaskResult> {
    const msg: ThreadTask = { plan: this.plan!, k, snapshots: this.snapshots, live: this.live };
    const reply = (await this.pool!.run(msg)) as ThreadReply;
    if ("userError" in reply) throw new DaeError(reply.userError);
    return reply;
  }

  async close(): Promise<void> {
    this.pool = undefined;
  }
}
