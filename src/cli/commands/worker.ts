import type { Command } from "commander";
import { InputError } from "../../util/errors.js";
import type { RegisterCommand } from "./index.js";
import {
  addRedisSecurityOptions,
  redisSecurity,
  type RedisSecurityOptions,
} from "../redis-options.js";

interface WorkerOptions extends RedisSecurityOptions {
  redis: string;
  queue?: string;
  concurrency: string;
  kernels?: string[];
  allow?: string[];
  lockDuration?: string;
  verbose?: boolean;
}

/**
 * `dae worker --redis URL`: run tasks of distributed runs (`dae run --executor distributed`)
 * until stopped. SIGTERM or Ctrl-C stops taking jobs and lets running ones finish; a second
 * one abandons them (BullMQ gives them to another worker).
 */
export const registerWorker: RegisterCommand = (program: Command) => {
  const command = program
    .command("worker")
    .description("run tasks of distributed runs from a Redis queue (BullMQ) until stopped")
    .requiredOption(
      "--redis <url>",
      "Redis URL: redis://[user@]host:port[/db], or rediss:// for TLS (the password: DAE_REDIS_PASSWORD or --redis-password-file)",
    )
    .option("--concurrency <n>", "tasks run at once", "1")
    .option(
      "--kernels <file>",
      "module file of user kernels to load at start; repeat for more (plans may use these only)",
      collect,
    )
    .option(
      "--allow <path-or-url>",
      "read and write only this store, or stores under this folder or URL prefix (links resolved); repeat for more (default: none, every job is refused)",
      collect,
    )
    .option("--queue <name>", "queue name, as the coordinator's (default dae-tasks)")
    .option(
      "--lock-duration <ms>",
      "a running task's lock, renewed while alive: a dead worker's tasks are retried after about this long",
      "30000",
    )
    .option("--verbose", "print a line per task");
  addRedisSecurityOptions(command).action(async (o: WorkerOptions) => {
    const concurrency = positive("--concurrency", o.concurrency);
    const lockDurationMs = positive("--lock-duration", o.lockDuration ?? "30000");
    // loaded here, not at start: bullmq and ioredis take a while to load and other commands do not need them
    const { startTaskWorker } = await import("../../exec/distributed/task-worker.js");
    const worker = await startTaskWorker({
      redis: o.redis,
      ...redisSecurity(o),
      queue: o.queue,
      concurrency,
      kernels: o.kernels ?? [],
      allow: o.allow,
      lockDurationMs,
      onTask: o.verbose
        ? ({ runId, k, ms, error }) =>
            process.stdout.write(
              `task ${runId}.${k} ${error ? `failed: ${error}` : "done"} (${ms.toFixed(0)} ms)\n`,
            )
        : undefined,
    });
    if (!o.allow?.length)
      process.stderr.write(
        "dae worker: no --allow: every job is refused (name the stores jobs may use with --allow PATH-OR-URL)\n",
      );
    process.stderr.write(
      `dae worker: pid ${process.pid}, taking tasks (concurrency ${concurrency})\n`,
    );
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          process.stderr.write(
            `dae worker: ${signal} again: abandoning running tasks (they will be retried)\n`,
          );
          void worker.close(true).then(resolve);
          return;
        }
        stopping = true;
        process.stderr.write(`dae worker: ${signal}: finishing running tasks, taking no more\n`);
        void worker.close().then(resolve);
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
    process.stderr.write("dae worker: stopped\n");
  });
};

function positive(option: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new InputError(`${option}: must be a positive integer, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
