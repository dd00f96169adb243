import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { load, toZarr, type ToZarrOptions } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { recordedProgress } from "../../src/exec/resume.js";
import { DEFAULT_QUEUE, KEY_PREFIX } from "../../src/exec/distributed/protocol.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression, type ChildRun, type Expr } from "./run-child.js";
import {
  daeArgs,
  nodeArgs,
  spawnNode,
  startRedis,
  startWorkers,
  waitStarted,
  type Child,
} from "./servers.js";

/** Small tasks, so runs have tens of them. */
const plan = { memory: 4 << 20, workers: 4 };

async function setup(
  t: import("node:test").TestContext,
  workers: number,
  workerArgs: string[] = [],
) {
  const dir = tempDir(t);
  const input = await writeInput(dir);
  const redis = await startRedis(t);
  const children = startWorkers(t, workers, redis.url, ["--allow", dir, ...workerArgs]);
  await Promise.all(children.map((w) => waitStarted(w)));
  const { vars } = await openDataset(input);
  /** The thread executor's output of `expr`: the reference. */
  const reference = async (expr: Expr) => {
    const out = path.join(dir, `want-${expr}.zarr`);
    await toZarr(expression(vars.a, expr), out, { ...plan, executor: "threads" });
    return storeFiles(out);
  };
  return { dir, input, redis, workers: children, vars, reference };
}

/** Task numbers each worker reports done for run `runId` (or any run). */
function doneTasks(workers: Child[], runId?: string): number[] {
  return workers.flatMap((w) =>
    w.lines.flatMap((l) => {
      const m = /^task ([0-9a-f]+)\.(\d+) done/.exec(l);
      return m && (!runId || m[1] === runId) ? [Number(m[2])] : [];
    }),
  );
}

test("distributed runs on 3 dae workers equal the thread executor's, chunk file by chunk file (reduction, rechunk, rolling mean)", async (t) => {
  const { dir, redis, workers, vars, reference } = await setup(t, 3);
  for (const expr of ["mean", "rechunk", "rolling"] as const) {
    const want = await reference(expr);
    const out = path.join(dir, `${expr}.zarr`);
    const report = await toZarr(expression(vars.a, expr), out, {
      ...plan,
      executor: "distributed",
      redis: redis.url,
    });
    const chunks = assertSameStores(storeFiles(out), want);
    t.diagnostic(`${expr}: ${report.progress.tasksTotal} tasks, ${chunks} chunk files identical`);
  }
  // results that come back in memory: split reductions' partial states and blocks, as job return values
  const [gotLoad, wantLoad] = [
    await load(vars.a.std("t"), { ...plan, executor: "distributed", redis: redis.url }),
    await load(vars.a.std("t"), { ...plan, executor: "threads" }),
  ];
  assert.deepEqual(Buffer.from(gotLoad.data.buffer), Buffer.from(wantLoad.data.buffer));
  const perWorker = workers.map((w) => doneTasks([w]).length);
  t.diagnostic(`tasks per worker: ${perWorker.join(", ")}`);
  assert.ok(perWorker.filter((n) => n > 0).length >= 2, "the tasks were shared among workers");
});

test("a worker killed (kill -9) in the middle of a run: its task is retried by another, the result is the same", async (t) => {
  const { dir, redis, workers, vars, reference } = await setup(t, 2, ["--lock-duration", "1500"]);
  const want = await reference("rolling");
  const out = path.join(dir, "out.zarr");
  const run = toZarr(expression(vars.a, "rolling"), out, {
    ...plan,
    executor: "distributed",
    redis: redis.url,
  });
  // the victim has finished two tasks and, with jobs waiting, is at work on a third
  await workers[0].waitFor(
    (l) => doneTasks([{ lines: [l] } as Child]).length > 0 && doneTasks([workers[0]]).length >= 2,
  );
  workers[0].process.kill("SIGKILL");
  const report = await run;
  assertSameStores(storeFiles(out), want);
  const total = report.progress.tasksTotal;
  const ran = doneTasks(workers);
  t.diagnostic(
    `${total} tasks; worker 0 did ${doneTasks([workers[0]]).length} before it was killed, worker 1 did ${doneTasks([workers[1]]).length}`,
  );
  assert.equal(new Set(ran).size, total, "every task done");
});

test("the coordinator killed (kill -9): --resume completes the output, recomputing no more tasks than were in flight", async (t) => {
  const { dir, input, redis, workers, reference } = await setup(t, 2);
  const want = await reference("rolling");
  const output = path.join(dir, "out.zarr");
  const inFlight = 4;
  const run: ChildRun = {
    input,
    output,
    expr: "rolling",
    executor: "distributed",
    redis: redis.url,
    ...plan,
    inFlight,
  };
  const first = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]));
  await first.waitFor((l) => l.startsWith("progress ") && Number(l.split(" ")[1]) >= 10);
  first.process.kill("SIGKILL");
  await first.exited;
  const records = (await recordedProgress(output))!;
  const firstRun = /^task ([0-9a-f]+)\./.exec(
    workers.flatMap((w) => w.lines).find((l) => l.startsWith("task "))!,
  )![1];

  const second = spawnNode(t, nodeArgs("run-child", [JSON.stringify({ ...run, resume: true })]));
  const [skipped, total] = (await second.waitFor(/^done /, 120_000))
    .split(" ")
    .slice(1)
    .map(Number);
  assert.equal(await second.exited, 0, second.stderr.join(""));
  assertSameStores(storeFiles(output), want);
  assert.equal(skipped, records.done, "the resumed run skips every task recorded done");
  assert.match(second.stderr.join(""), /taking over a stale lock \(pid \d+ on .* is gone\)/);
  // tasks the first run's workers finished that its records missed: at most the jobs it had in flight
  const unrecorded = new Set(doneTasks(workers, firstRun)).size - records.done;
  t.diagnostic(
    `${total} tasks: ${records.done} recorded done when the coordinator died, ${unrecorded} more finished by workers unrecorded (in flight: ${inFlight})`,
  );
  assert.ok(
    unrecorded <= inFlight,
    `${unrecorded} tasks recomputed, more than the ${inFlight} in flight`,
  );
});

test("a task that fails every time fails the run after its retries, with the task's error", async (t) => {
  const { dir, input, redis, vars } = await setup(t, 2);
  // garble one chunk of the input: decoding it fails on every attempt
  const chunkDir = path.join(input, "a", "c", "3", "1");
  const chunk = path.join(chunkDir, readdirSync(chunkDir)[0]);
  writeFileSync(chunk, "not a zstd frame");
  const out = path.join(dir, "out.zarr");
  const options: ToZarrOptions = {
    ...plan,
    executor: "distributed",
    redis: redis.url,
    distributed: { attempts: 2, backoffMs: 50 },
  };
  await assert.rejects(toZarr(expression(vars.a, "rolling"), out, options), (e: Error) => {
    assert.match(e.message, /^task \d+ failed after 2 attempt\(s\): .*a\/c\/3\/1/);
    return true;
  });
  const records = await recordedProgress(out);
  assert.ok(records && records.done < records.tasks, "the output stays unfinished, resumable");
  // nothing of the run is left in Redis
  const r = new Redis(redis.url);
  t.after(() => r.disconnect());
  assert.deepEqual(await r.keys(`${KEY_PREFIX}:run:*`), []);
});

test("Redis restarting (and losing its data) in the middle of a run does not corrupt the output", async (t) => {
  const { dir, redis, workers, vars, reference } = await setup(t, 2);
  const want = await reference("rolling");
  const out = path.join(dir, "out.zarr");
  let restarted: Promise<void> | undefined;
  const report = await toZarr(expression(vars.a, "rolling"), out, {
    ...plan,
    executor: "distributed",
    redis: redis.url,
    onProgress: (p) => {
      if (p.tasksDone === 8) restarted ??= redis.restart(); // progress also comes between tasks
    },
  });
  await restarted;
  assertSameStores(storeFiles(out), want);
  t.diagnostic(
    `${report.progress.tasksTotal} tasks, ${doneTasks(workers).length} task runs across the restart`,
  );
});

test("Ctrl-C on the coordinator removes the run's jobs and plan from Redis; the output can be resumed", async (t) => {
  const { dir, input, redis, workers, reference } = await setup(t, 1);
  const want = await reference("rolling");
  const output = path.join(dir, "out.zarr");
  const run: ChildRun = {
    input,
    output,
    expr: "rolling",
    executor: "distributed",
    redis: redis.url,
    ...plan,
    inFlight: 8,
  };
  const first = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]));
  await first.waitFor(/^progress 3 /);
  first.process.kill("SIGINT");
  assert.equal(await first.exited, 1);
  assert.match(first.stderr.join(""), /interrupted/);
  const queue = new Queue(DEFAULT_QUEUE, { connection: { url: redis.url }, prefix: KEY_PREFIX });
  const counts = await queue.getJobCounts("waiting", "delayed", "prioritized");
  await queue.close();
  assert.deepEqual(counts, { waiting: 0, delayed: 0, prioritized: 0 });
  const r = new Redis(redis.url);
  t.after(() => r.disconnect());
  assert.deepEqual(await r.keys(`${KEY_PREFIX}:run:*`), []);
  const second = spawnNode(t, nodeArgs("run-child", [JSON.stringify({ ...run, resume: true })]));
  await second.waitFor(/^done /, 120_000);
  assertSameStores(storeFiles(output), want);
  assert.ok(doneTasks(workers).length > 0);
});

test("dae run --executor distributed --redis URL, killed and run again with --resume, equals dae run --executor threads", async (t) => {
  const { dir, input, redis, workers } = await setup(t, 2);
  const args = (out: string, ...more: string[]) => [
    "run",
    "-i",
    input,
    "-e",
    "a.rolling({t: 5}).mean().rechunk({y: 16, x: 16})",
    "-o",
    out,
    "--memory",
    "4MB",
    "--workers",
    "4",
    "--quiet",
    ...more,
  ];
  const want = path.join(dir, "want.zarr");
  assert.equal(await spawnNode(t, daeArgs(args(want, "--executor", "threads"))).exited, 0);
  const out = path.join(dir, "out.zarr");
  const distributed = ["--executor", "distributed", "--redis", redis.url];
  const first = spawnNode(t, daeArgs(args(out, ...distributed)));
  await workers[0].waitFor(/^task .* done/);
  first.process.kill("SIGKILL");
  await first.exited;
  const plain = spawnNode(t, daeArgs(args(out, ...distributed)));
  assert.equal(await plain.exited, 1);
  assert.match(
    plain.stderr.join(""),
    /^dae: .*out\.zarr: exists and is unfinished \(\d+ of \d+ tasks done\): continue it with --resume, or start again with --overwrite\n$/,
  );
  const resumed = spawnNode(t, daeArgs(args(out, ...distributed, "--resume")));
  assert.equal(await resumed.exited, 0, resumed.stderr.join(""));
  assertSameStores(storeFiles(out), storeFiles(want));
  const missing = spawnNode(
    t,
    daeArgs(args(path.join(dir, "x.zarr"), "--executor", "distributed")),
  );
  assert.equal(await missing.exited, 1);
  assert.match(missing.stderr.join(""), /--executor distributed needs --redis URL/);
});
