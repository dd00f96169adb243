// Trust no one on the queue (issue 26): jobs injected into Redis by anyone who can reach it
// touch nothing outside the stores a worker was started with, links included; passwords stay
// out of command lines; workers and coordinators can demand a password and TLS.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { plan, toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { AllowList } from "../../src/exec/distributed/allow-list.js";
import { DEFAULT_QUEUE, KEY_PREFIX, planKey } from "../../src/exec/distributed/protocol.js";
import type { OutputTarget, Plan } from "../../src/plan/plan.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression } from "./run-child.js";
import { daeArgs, spawnNode, startRedis, startWorkers, waitStarted } from "./servers.js";

const small = { memory: 4 << 20, workers: 4 };

/**
 * `allowed/` holds the input and links that lead to `outside/`, which holds a secret store
 * and an output store created (empty of chunks) as a coordinator would: what a forged plan
 * may aim at. Plans are built for the real input, then edited as an attacker would.
 */
async function layout(t: TestContext) {
  const root = tempDir(t);
  const allowed = path.join(root, "allowed");
  const outside = path.join(root, "outside");
  mkdirSync(allowed);
  mkdirSync(outside);
  const input = await writeInput(allowed);
  const secret = await writeInput(outside);
  const { vars } = await openDataset(input);
  const target = path.join(outside, "target.zarr");
  await toZarr(expression(vars.a, "mean"), target, { executor: "inline", onNote: () => {} });
  // keep its metadata, drop its chunks: a write by a job would show
  for (const key of storeFiles(target).keys())
    if (/\/c\//.test(key)) rmSync(path.join(target, key));
  symlinkSync(secret, path.join(allowed, "secret-link.zarr"));
  symlinkSync(outside, path.join(allowed, "out-link"));
  const planFor = (source: string, out: OutputTarget = { kind: "memory" }): Plan => {
    const p = JSON.parse(JSON.stringify(plan([expression(vars.a, "mean")], [out], small))) as Plan;
    for (const n of Object.values(p.graph))
      if (n.op === "source" && n.ref.kind === "dataset") n.ref.url = source;
    return p;
  };
  const zarr = (url: string): OutputTarget => ({ kind: "zarr", url, path: "a", zarrFormat: 3 });
  const forged: [string, Plan, RegExp][] = [
    ["a store outside", planFor(secret), /outside the stores this worker may use/],
    [
      "a link inside the allowed folder to a store outside",
      planFor(path.join(allowed, "secret-link.zarr")),
      /secret-link\.zarr \(a link to .*outside\/input\.zarr\) is outside the stores/,
    ],
    ["an output outside", planFor(input, zarr(target)), /outside the stores this worker may use/],
    [
      "an output through a link to a folder outside",
      planFor(input, zarr(path.join(allowed, "out-link", "target.zarr"))),
      /out-link\/target\.zarr \(a link to .*outside\/target\.zarr\) is outside the stores/,
    ],
  ];
  return { root, allowed, outside, input, vars, planFor, forged };
}

/** A client of the test's own (an attacker who knows the password) that puts plans and jobs on the queue. */
function injector(t: TestContext, url: string, options: { password: string; ca?: Buffer }) {
  const redis = new Redis(url, {
    password: options.password,
    maxRetriesPerRequest: null,
    ...(options.ca ? { tls: { ca: options.ca } } : {}),
  });
  redis.on("error", () => undefined);
  const queues = new Map<string, { queue: Queue; events: QueueEvents }>();
  const duplicate = () => {
    const d = redis.duplicate();
    d.on("error", () => undefined);
    duplicates.push(d);
    return d;
  };
  const on = async (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = {
        queue: new Queue(name, { connection: redis, prefix: KEY_PREFIX }),
        events: new QueueEvents(name, { connection: duplicate(), prefix: KEY_PREFIX }),
      };
      queues.set(name, q);
      await q.events.waitUntilReady();
    }
    return q;
  };
  const duplicates: Redis[] = [];
  // the test closes it (hooks run in order, and Redis's own stops first); on failure the hook disconnects
  const close = async () => {
    for (const q of queues.values()) await Promise.all([q.queue.close(), q.events.close()]);
    queues.clear();
    redis.disconnect();
  };
  t.after(() => {
    for (const r of [redis, ...duplicates]) r.disconnect();
  });
  /** Runs task 0 of `p` as a job; resolves to its result, rejects with the worker's reason. */
  const inject = async (p: Plan, queueName = DEFAULT_QUEUE): Promise<unknown> => {
    const runId = randomBytes(8).toString("hex");
    await redis.set(planKey(runId), JSON.stringify(p), "EX", 60);
    const { queue, events } = await on(queueName);
    const job = await queue.add("task", { runId, k: 0 }, { jobId: `${runId}.0`, attempts: 1 });
    return job.waitUntilFinished(events, 60_000);
  };
  return { inject, close };
}

/** Injects each forged plan: each is refused with its reason, and nothing outside changes. */
async function assertRefused(
  inject: (p: Plan) => Promise<unknown>,
  forged: [string, Plan, RegExp][],
  outside: string,
): Promise<void> {
  const before = storeFiles(outside);
  for (const [what, p, why] of forged) await assert.rejects(inject(p), why, what);
  assertSameStores(storeFiles(outside), before);
}

test(
  "requirepass: password from DAE_REDIS_PASSWORD or a file, never on a command line; --require-auth; injected jobs naming stores outside --allow or reaching out through links are refused",
  { timeout: 240_000 },
  async (t) => {
    const { root, allowed, outside, input, vars, planFor, forged } = await layout(t);
    const password = `pw-${randomBytes(8).toString("hex")}`;
    const redis = await startRedis(t, { password });
    const url = `redis://127.0.0.1:${redis.port}`;
    const passwordFile = path.join(root, "redis-password");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const env = { DAE_REDIS_PASSWORD: password };
    const [worker] = startWorkers(t, 1, url, ["--allow", allowed, "--require-auth"], env);
    // without --allow, a worker allows nothing (its own queue, so it takes only what is sent to it)
    const [denyAll] = startWorkers(t, 1, url, ["--queue", "deny-all"], env);
    await Promise.all([waitStarted(worker), waitStarted(denyAll)]);
    assert.match(denyAll.stderr.join(""), /no --allow: every job is refused/);
    for (const w of [worker, denyAll])
      assert.ok(!readFileSync(`/proc/${w.process.pid}/cmdline`, "utf8").includes(password));

    // a coordinator with the password from a file runs through the worker, as the thread executor would
    const want = path.join(root, "want.zarr");
    await toZarr(expression(vars.a, "rolling"), want, { ...small, executor: "threads" });
    const out = path.join(allowed, "out.zarr");
    const expr = "a.rolling({t: 5}).mean().rechunk({y: 16, x: 16})";
    const run = spawnNode(
      t,
      daeArgs([
        "run",
        ...["-i", input, "-e", expr, "-o", out, "--memory", "4MB", "--workers", "4", "--quiet"],
        ...["--executor", "distributed", "--redis", url, "--redis-password-file", passwordFile],
        "--require-auth",
      ]),
    );
    assert.equal(await run.exited, 0, run.stderr.join(""));
    assertSameStores(storeFiles(out), storeFiles(want));
    assert.ok(worker.lines.some((l) => / done /.test(l)));

    const { inject, close } = injector(t, url, { password });
    assert.ok(await inject(planFor(input)), "an allowed job runs");
    await assert.rejects(
      inject(planFor(input), "deny-all"),
      /input\.zarr is outside the stores this worker may use \(dae worker --allow\)/,
    );
    await assertRefused(inject, forged, outside);
    await close();

    // --require-auth refuses a server that lets anyone in, in one line
    const open = await startRedis(t);
    const refused = startWorkers(t, 1, `redis://127.0.0.1:${open.port}`, ["--require-auth"], env);
    assert.equal(await refused[0].exited, 1);
    assert.match(
      refused[0].stderr.join(""),
      /^dae: Redis at redis:\/\/127\.0\.0\.1:\d+ answers clients without a password; refused \(--require-auth\)\n$/,
    );
  },
);

test(
  "TLS: --require-tls refuses redis://; over rediss:// with a password file, injected jobs through links and a kernel module swapped for a link are refused, and no code is imported",
  { timeout: 240_000 },
  async (t) => {
    const { root, allowed, outside, input, vars, forged } = await layout(t);
    const password = `pw-${randomBytes(8).toString("hex")}`;
    const redis = await startRedis(t, { tls: true, password });
    const url = `rediss://127.0.0.1:${redis.port}`;
    const passwordFile = path.join(root, "redis-password");
    writeFileSync(passwordFile, password, { mode: 0o600 });
    const kernels = path.join(allowed, "kernels.mjs");
    writeFileSync(kernels, "export function double([a]) { return a.data.map((v) => v * 2); }\n");
    const evilMarker = path.join(outside, "evil-ran");
    const evil = path.join(outside, "evil.mjs");
    writeFileSync(
      evil,
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(evilMarker)}, "ran");\nexport function double([a]) { return a.data; }\n`,
    );
    const env = { NODE_EXTRA_CA_CERTS: redis.caFile };
    const secure = ["--require-tls", "--require-auth", "--redis-password-file", passwordFile];
    const plain = startWorkers(t, 1, `redis://127.0.0.1:${redis.port}`, ["--require-tls"], env);
    assert.equal(await plain[0].exited, 1);
    assert.match(
      plain[0].stderr.join(""),
      /^dae: redis:\/\/127\.0\.0\.1:\d+: not a TLS connection \(rediss:\/\/\); refused \(--require-tls\)\n$/,
    );
    const [worker] = startWorkers(
      t,
      1,
      url,
      ["--allow", allowed, "--kernels", kernels, ...secure],
      env,
    );
    await waitStarted(worker);

    const want = path.join(root, "want.zarr");
    await toZarr(expression(vars.a, "mean"), want, { ...small, executor: "threads" });
    const out = path.join(allowed, "out.zarr");
    const run = spawnNode(
      t,
      daeArgs([
        "run",
        ...["-i", input, "-e", 'a.mean("t")', "-o", out, "--memory", "4MB", "--workers", "4"],
        "--quiet",
        ...["--executor", "distributed", "--redis", url, ...secure],
      ]),
      env,
    );
    assert.equal(await run.exited, 0, run.stderr.join(""));
    assertSameStores(storeFiles(out), storeFiles(want));

    const { inject, close } = injector(t, url, { password, ca: readFileSync(redis.caFile!) });
    const doubled = JSON.parse(
      JSON.stringify(
        plan([vars.a.mapBlocks(kernels, "double")], [{ kind: "memory" }], {
          ...small,
          memory: 64 << 20,
        }),
      ),
    ) as Plan;
    assert.ok(await inject(doubled), "the kernel the worker loaded runs");
    await assertRefused(inject, forged.slice(1, 2).concat(forged.slice(3)), outside);
    // the kernel file swapped for a link to other code after the worker started: refused, never imported
    rmSync(kernels);
    symlinkSync(evil, kernels);
    await assert.rejects(
      inject(doubled),
      /kernel module .*kernels\.mjs is not one this worker loaded at start/,
    );
    assert.ok(!existsSync(evilMarker), "the swapped-in module was never imported");
    await close();
  },
);

test("allow lists: real paths, links resolved when a store is opened; URLs by origin and path prefix; dot segments refused", (t) => {
  const root = tempDir(t);
  const allowed = path.join(root, "allowed");
  mkdirSync(path.join(allowed, "store.zarr"), { recursive: true });
  mkdirSync(path.join(root, "secret"));
  const allow = AllowList.of([allowed, "https://Data.Example.org:443/pub/", "s3://bucket/runs"]);
  assert.equal(
    allow.check(path.join(allowed, "store.zarr"), "input"),
    path.join(allowed, "store.zarr"),
  );
  // an output not created yet: the real path of the folder above it
  assert.equal(
    allow.check(path.join(allowed, "new.zarr"), "output"),
    path.join(allowed, "new.zarr"),
  );
  assert.throws(
    () => allow.check(path.join(allowed, "..", "secret"), "input"),
    /outside the stores/,
  );
  assert.throws(() => allow.check(`${allowed}-sibling`, "input"), /outside the stores/);
  // a link made after the allow list: refused when the store is opened
  symlinkSync(path.join(root, "secret"), path.join(allowed, "later"));
  assert.throws(
    () => allow.check(path.join(allowed, "later", "x.zarr"), "output"),
    /later\/x\.zarr \(a link to .*secret\/x\.zarr\) is outside the stores/,
  );
  assert.equal(
    allow.check("https://data.example.org/pub/era5.zarr", "input"),
    "https://data.example.org/pub/era5.zarr",
  );
  assert.equal(allow.check("s3://bucket/runs/out.zarr", "output"), "s3://bucket/runs/out.zarr");
  for (const bad of [
    "https://data.example.org/public/x.zarr",
    "https://data.example.org:8443/pub/x.zarr",
    "http://data.example.org/pub/x.zarr",
    "https://data.example.org.evil.net/pub/x.zarr",
    "s3://bucket/runs-other/x",
    "s3://bucket2/runs/x",
  ])
    assert.throws(() => allow.check(bad, "input"), /outside the stores/, bad);
  for (const bad of [
    "https://data.example.org/pub/../private/x.zarr",
    "https://data.example.org/pub/%2e%2e/private/x.zarr",
    "https://data.example.org/pub%2f..%2fprivate",
    "s3://bucket/runs/../secrets",
    "https://data.example.org/pub/x.zarr?redirect=1",
  ])
    assert.throws(() => allow.check(bad, "input"), /a URL with \. or \.\. segments/, bad);
  assert.throws(() => AllowList.of([]).check(path.join(allowed, "store.zarr"), "input"), /outside/);
  assert.throws(
    () => AllowList.of([path.join(root, "missing")]),
    /--allow .*missing: no such file/,
  );
});
