// A coordinator whose workers or Redis never come back says so, then fails clearly (issue 26).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression, type ChildRun } from "./run-child.js";
import { nodeArgs, spawnNode, startRedis, startWorkers, waitStarted } from "./servers.js";

/** Small tasks, so runs have tens of them. */
const small = { memory: 4 << 20, workers: 4 };
/** A stall is reported after 1 s without a task moving, and fails the run after 8 s. */
const stall = { stallReportSeconds: 1, stallLimitSeconds: 8 };

/** One worker, and a coordinator (a child process) running the rolling mean through it. */
async function setup(t: TestContext) {
  const dir = tempDir(t);
  const input = await writeInput(dir);
  const redis = await startRedis(t);
  const workerArgs = ["--allow", dir, "--lock-duration", "1500"];
  const [worker] = startWorkers(t, 1, redis.url, workerArgs);
  await waitStarted(worker);
  const run: ChildRun = {
    input,
    output: path.join(dir, "out.zarr"),
    expr: "rolling",
    executor: "distributed",
    redis: redis.url,
    ...small,
    ...stall,
    inFlight: 4,
  };
  const coordinator = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]));
  await worker.waitFor(/^task .* done/);
  return { dir, input, redis, worker, run, coordinator, workerArgs };
}

test("a coordinator whose only worker is killed says nothing moves and why, then fails clearly; --resume with a new worker completes the output", async (t) => {
  const { dir, input, redis, worker, run, coordinator, workerArgs } = await setup(t);
  worker.process.kill("SIGKILL");
  // (on a busy machine, a slow task may be noted before: a note that names workers connected)
  const note = await coordinator.waitFor(/^note nothing has moved .*no dae worker/);
  assert.match(
    note,
    /^note nothing has moved for \d+ s: no dae worker is connected to queue dae-tasks at redis:\/\/127\.0\.0\.1:\d+ \(start one: dae worker --redis URL --allow STORE\) \(\d+ task\(s\) awaited; the run fails after 8 s\)$/,
  );
  assert.equal(await coordinator.exited, 1);
  assert.match(
    coordinator.stderr.join(""),
    /\nno task has moved for \d+ s \(no dae worker is connected to queue dae-tasks at .*\): the run stopped \(stallLimitSeconds 8\); continue it with --resume\n$/,
  );
  // the failed run is resumable: a new worker and --resume finish it as the thread executor would
  const { vars } = await openDataset(input);
  const want = path.join(dir, "want.zarr");
  await toZarr(expression(vars.a, "rolling"), want, { ...small, executor: "threads" });
  startWorkers(t, 1, redis.url, workerArgs);
  const resumed = spawnNode(t, nodeArgs("run-child", [JSON.stringify({ ...run, resume: true })]));
  assert.equal(await resumed.exited, 0, resumed.stderr.join(""));
  assertSameStores(storeFiles(run.output), storeFiles(want));
});

test("a coordinator whose Redis is stopped says Redis does not answer, then fails clearly", async (t) => {
  const { redis, coordinator } = await setup(t);
  await redis.stop();
  const note = await coordinator.waitFor(/^note nothing has moved .*Redis/);
  assert.match(
    note,
    /^note nothing has moved for \d+ s: Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer \(\d+ task\(s\) awaited; the run fails after 8 s\)$/,
  );
  assert.equal(await coordinator.exited, 1);
  assert.match(
    coordinator.stderr.join(""),
    /\nno task has moved for \d+ s \(Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer\): the run stopped \(stallLimitSeconds 8\); continue it with --resume\n$/,
  );
});
