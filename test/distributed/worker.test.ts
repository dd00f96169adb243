import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { plan, toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import {
  DEFAULT_QUEUE,
  decodeResult,
  encodeResult,
  KEY_PREFIX,
  parseTaskJob,
  planKey,
} from "../../src/exec/distributed/protocol.js";
import { AllowList } from "../../src/exec/distributed/allow-list.js";
import { validatePlan } from "../../src/exec/distributed/validate-plan.js";
import type { Plan } from "../../src/plan/plan.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression, type ChildRun } from "./run-child.js";
import { nodeArgs, spawnNode, startRedis, startWorkers, waitStarted } from "./servers.js";

const small = { memory: 4 << 20, workers: 4 };

async function samplePlan(
  t: import("node:test").TestContext,
): Promise<{ plan: Plan; dir: string }> {
  const dir = tempDir(t);
  const { vars } = await openDataset(await writeInput(dir));
  return {
    plan: plan(
      [expression(vars.a, "rolling")],
      [{ kind: "zarr", url: path.join(dir, "out.zarr"), path: "a", zarrFormat: 3 }],
      small,
    ),
    dir,
  };
}

test("payloads are checked: malformed jobs, plans and results are refused with a clear message", async (t) => {
  assert.deepEqual(parseTaskJob({ runId: "0123abcd", k: 3 }), { runId: "0123abcd", k: 3 });
  assert.throws(
    () => parseTaskJob({ runId: "../x", k: 1 }),
    /malformed job: runId must be a hex id/,
  );
  assert.throws(() => parseTaskJob({ runId: "0123abcd", k: -1 }), /malformed job: task number -1/);
  assert.throws(
    () => parseTaskJob({ runId: "0123abcd", k: 1, code: "process.exit()" }),
    /malformed job: unexpected field code/,
  );
  assert.throws(() => parseTaskJob("0123abcd"), /malformed job: not an object/);

  const { plan: p, dir } = await samplePlan(t);
  const policy = { kernelModules: new Set<string>(), allow: AllowList.of([dir]) };
  assert.equal(validatePlan(JSON.parse(JSON.stringify(p)), policy).outputs.length, 1);
  // forged plans are not Plans: any
  const forged = (edit: (q: any) => void) => {
    const q = JSON.parse(JSON.stringify(p));
    edit(q);
    return () => validatePlan(q, policy);
  };
  const out = p.outputs[0].id;
  const source = Object.values(p.graph).find((n) => n.op === "source")!.id;
  assert.throws(
    forged((q) => (q.graph[out].op = "eval")),
    /malformed plan: graph node .*: unknown op eval/,
  );
  assert.throws(
    forged((q) => (q.graph[out].dtype = "object")),
    /unknown dtype object/,
  );
  assert.throws(
    forged((q) => (q.graph[out].kernel = "sh")),
    /unknown window kernel "sh"/,
  );
  assert.throws(
    forged((q) =>
      Object.assign(q.graph[out], {
        kernel: "user",
        params: { module: "/tmp/evil.mjs", name: "f", mode: "blocks" },
      }),
    ),
    /kernel module \/tmp\/evil\.mjs is not one this worker loaded at start \(dae worker --kernels FILE\)/,
  );
  assert.throws(
    forged(
      (q) =>
        (q.graph[source] = {
          ...q.graph[source],
          op: "view",
          input: out,
          axes: q.graph[source].dims.map(() => undefined),
          fixed: {},
        }),
    ),
    /cycle/,
  );
  assert.throws(
    forged((q) => (q.graph[source].ref = { kind: "memory", key: "memory:1:x" })),
    /in-memory arrays cannot reach another process/,
  );
  assert.throws(
    forged((q) => (q.groups[0].blockCounts = [1, 1, 1])),
    /blockCounts do not match/,
  );
  assert.throws(
    forged((q) => (q.outputs[0].target = { kind: "shell" })),
    /unknown target kind shell/,
  );
  assert.throws(
    forged((q) => (q.graph[out].shape = [1e300])),
    /dims and shape/,
  );
  assert.throws(
    () => validatePlan(p, { kernelModules: new Set(), allow: AllowList.of([]) }),
    /is outside the stores this worker may use \(dae worker --allow\)/,
  );

  const states = [[Float64Array.from([1, 2, NaN])]];
  const r = decodeResult(
    JSON.parse(
      JSON.stringify(encodeResult({ task: 5, bytesRead: 1, bytesWritten: 2, decodes: 3, states })),
    ),
    5,
  );
  assert.deepEqual(r.states, states);
  assert.throws(() => decodeResult({ task: 4 }, 5), /malformed result for task 5/);
  assert.throws(
    () => decodeResult({ task: 5, data: [{ type: "Function", base64: "" }] }, 5),
    /bad array/,
  );
});

test("forged jobs on the queue fail at once (no retries) and run nothing; the worker goes on serving", async (t) => {
  const { plan: p, dir } = await samplePlan(t);
  const redis = await startRedis(t);
  const kernels = path.join(dir, "kernels.mjs");
  writeFileSync(
    kernels,
    "export function double(inputs) { return inputs[0].data.map((v) => v * 2); }\n",
  );
  const [worker] = startWorkers(t, 1, redis.url, ["--kernels", kernels, "--allow", dir]);
  await waitStarted(worker);
  const r = new Redis(redis.url);
  t.after(() => r.disconnect());
  // closed in the test, not in an after hook: hooks run in order, and Redis's own stops first
  const queue = new Queue(DEFAULT_QUEUE, { connection: { url: redis.url }, prefix: KEY_PREFIX });
  const events = new QueueEvents(DEFAULT_QUEUE, {
    connection: { url: redis.url },
    prefix: KEY_PREFIX,
  });
  await events.waitUntilReady();
  const out = p.outputs[0].id;
  const evil = JSON.parse(JSON.stringify(p));
  Object.assign(evil.graph[out], {
    kernel: "user",
    params: { module: path.join(dir, "evil.mjs"), name: "f", mode: "blocks" },
  });
  await r.set(planKey("00000001"), JSON.stringify(evil));
  await r.set(planKey("00000002"), "{not json");
  const cases: [unknown, RegExp][] = [
    [{ runId: "zz", k: 0 }, /malformed job: runId must be a hex id/],
    [{ runId: "00000003", k: 0 }, /run 00000003 is gone/],
    [{ runId: "00000001", k: 0 }, /is not one this worker loaded at start/],
    [{ runId: "00000002", k: 0 }, /malformed plan of run 00000002: not JSON/],
  ];
  for (const [i, [data, why]] of cases.entries()) {
    const job = await queue.add("task", data as never, {
      jobId: `forged-${i}`,
      attempts: 3,
      backoff: { type: "fixed", delay: 10 },
    });
    await assert.rejects(job.waitUntilFinished(events, 30_000), why);
    assert.equal((await queue.getJob(job.id!))!.attemptsMade, 1, "not retried");
  }
  assert.ok(
    worker.lines.every((l) => l.includes("failed")),
    "nothing ran",
  );
  assert.equal(worker.process.exitCode, null, "the worker is still serving");
  await queue.close();
  await events.close();
});

test("Redis URLs with an ACL user and password, or requirepass, work; a wrong password is a one-line error without the password", async (t) => {
  const dir = tempDir(t);
  const { vars } = await openDataset(await writeInput(dir));
  const want = path.join(dir, "want.zarr");
  await toZarr(expression(vars.a, "mean"), want, { ...small, executor: "threads" });
  for (const auth of [{ user: "dae", password: "s3cret" }, { password: "pw-only" }]) {
    const redis = await startRedis(t, auth);
    const [worker] = startWorkers(t, 1, redis.url, ["--allow", dir]);
    await waitStarted(worker);
    const out = path.join(dir, `out-${auth.user ?? "default"}.zarr`);
    await toZarr(expression(vars.a, "mean"), out, {
      ...small,
      executor: "distributed",
      redis: redis.url,
    });
    assertSameStores(storeFiles(out), storeFiles(want));
    const wrong = redis.url.replace(auth.password, "wrong-guess");
    await assert.rejects(
      toZarr(expression(vars.a, "mean"), path.join(dir, "never.zarr"), {
        ...small,
        executor: "distributed",
        redis: wrong,
      }),
      (e: Error) => {
        assert.match(
          e.message,
          /^cannot connect to Redis at redis:\/\/[a-z]*:\*\*\*@127\.0\.0\.1:\d+: .*(WRONGPASS|invalid)/,
        );
        assert.ok(!e.message.includes("wrong-guess"));
        return true;
      },
    );
    assert.ok(!existsSync(path.join(dir, "never.zarr")), "nothing is written before Redis answers");
  }
});

test("SIGTERM: a worker finishes the task it is running and exits; another worker completes the run", async (t) => {
  const dir = tempDir(t);
  const { vars } = await openDataset(await writeInput(dir));
  const want = path.join(dir, "want.zarr");
  await toZarr(expression(vars.a, "rolling"), want, { ...small, executor: "threads" });
  const redis = await startRedis(t);
  const [first] = startWorkers(t, 1, redis.url, ["--allow", dir]);
  await waitStarted(first);
  const out = path.join(dir, "out.zarr");
  const run = toZarr(expression(vars.a, "rolling"), out, {
    ...small,
    executor: "distributed",
    redis: redis.url,
  });
  await first.waitFor(/^task .* done/);
  first.process.kill("SIGTERM");
  assert.equal(await first.exited, 0);
  assert.match(
    first.stderr.join(""),
    /SIGTERM: finishing running tasks, taking no more[\s\S]*stopped/,
  );
  const [second] = startWorkers(t, 1, redis.url, ["--allow", dir]);
  await run;
  assertSameStores(storeFiles(out), storeFiles(want));
  assert.ok(
    first.lines.every((l) => / done /.test(l)),
    "the first worker's tasks all finished",
  );
  assert.ok(second.lines.length > 0);
});

test("rediss:// (TLS) URLs work, for workers and coordinator", async (t) => {
  const dir = tempDir(t);
  const input = await writeInput(dir);
  const { vars } = await openDataset(input);
  const want = path.join(dir, "want.zarr");
  await toZarr(expression(vars.a, "mean"), want, { ...small, executor: "threads" });
  const redis = await startRedis(t, { tls: true });
  assert.match(redis.url, /^rediss:\/\//);
  // the test's self-signed certificate is trusted through Node's own setting, as a user's private CA would be
  const env = { NODE_EXTRA_CA_CERTS: redis.caFile };
  const [worker] = startWorkers(t, 1, redis.url, ["--allow", dir], env);
  await waitStarted(worker);
  const output = path.join(dir, "out.zarr");
  const run: ChildRun = {
    input,
    output,
    expr: "mean",
    executor: "distributed",
    redis: redis.url,
    ...small,
  };
  const coordinator = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]), env);
  assert.equal(await coordinator.exited, 0, coordinator.stderr.join(""));
  assertSameStores(storeFiles(output), storeFiles(want));
  assert.ok(worker.lines.some((l) => / done /.test(l)));
});
