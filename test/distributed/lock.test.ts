import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { toZarr, type ToZarrOptions } from "../../src/api/compute.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { OutputLock } from "../../src/storage/output-lock.js";
import { recordedProgress } from "../../src/exec/resume.js";
import { FsStore } from "../../src/storage/fs-store.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression } from "./run-child.js";

// small enough that the plan has several tasks to interrupt between (6 blocks)
const small: ToZarrOptions = { executor: "inline", memory: 1 << 19 };
// for the plans that need more than `small` (the rolling mean)
const roomy: ToZarrOptions = { ...small, memory: 1 << 20 };

/** An input, the expected output of `expr` over it, and a helper to leave an output unfinished. */
async function setup(t: import("node:test").TestContext) {
  const dir = tempDir(t);
  const { vars } = await openDataset(await writeInput(dir));
  const want = path.join(dir, "want.zarr");
  // how many tasks the plan has: the counts below are of it
  const { tasksTotal: tasks } = (await toZarr(expression(vars.a, "anomaly"), want, small)).progress;
  /** Runs `a` into `out` and stops it (as Ctrl-C would) after `tasks` tasks. */
  const interrupted = async (a: LazyArray, out: string, tasks: number, options = small) => {
    const stop = new AbortController();
    const outcome = await toZarr(a, out, {
      ...options,
      signal: stop.signal,
      onProgress: (p) => p.tasksDone >= tasks && stop.abort(),
    }).then(
      () => "finished",
      (e: Error) => e.message,
    );
    assert.match(outcome, /aborted/, "stopped by the signal");
  };
  return { dir, vars, want, interrupted, tasks };
}

function writeLock(out: string, info: { pid: number; hostname: string; heartbeat: number }) {
  writeFileSync(
    path.join(out, ".dae", "lock"),
    JSON.stringify({ token: "f00", started: info.heartbeat, ...info }),
  );
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    }).stdout,
  );
}

test("an interrupted output is never complete; a plain re-run says how far it got; --resume finishes it with the same bytes", async (t) => {
  const { dir, vars, want, interrupted, tasks } = await setup(t);
  const out = path.join(dir, "out.zarr");
  await interrupted(expression(vars.a, "anomaly"), out, 5);
  assert.ok(!existsSync(path.join(out, "zarr.json")), "no root metadata before every task is done");
  const records = await recordedProgress(out);
  assert.equal(records?.done, 5);
  await assert.rejects(
    toZarr(expression(vars.a, "anomaly"), out, small),
    new RegExp(
      `exists and is unfinished \\(5 of ${tasks} tasks done\\): continue it with --resume, or start again with --overwrite`,
    ),
  );
  const report = await toZarr(expression(vars.a, "anomaly"), out, { ...small, resume: true });
  assert.equal(report.tasksSkipped, 5);
  assertSameStores(storeFiles(out), storeFiles(want));
  // resuming a complete output does nothing
  const notes: string[] = [];
  const again = await toZarr(expression(vars.a, "anomaly"), out, {
    ...small,
    resume: true,
    onNote: (m) => notes.push(m),
  });
  assert.equal(again.tasksSkipped, tasks);
  assert.match(notes.join(), /already complete; nothing to resume/);
});

test("root metadata is written after every chunk and done record, in a run and in its resume (a kill before can never read as complete)", async (t) => {
  const { dir, vars, want, interrupted } = await setup(t);
  const out = path.join(dir, "out.zarr");
  // the keys written to the output, in order
  const written: string[] = [];
  const set = FsStore.prototype.set;
  FsStore.prototype.set = function (this: FsStore, key: string, bytes: Uint8Array) {
    if (this.root === out) written.push(key);
    return set.call(this, key, bytes);
  };
  const append = FsStore.prototype.append;
  FsStore.prototype.append = function (this: FsStore, key: string, bytes: Uint8Array) {
    if (this.root === out) written.push(key);
    return append.call(this, key, bytes);
  };
  t.after(() => {
    FsStore.prototype.set = set;
    FsStore.prototype.append = append;
  });
  const isRoot = (k: string) => ["zarr.json", ".zgroup", ".zattrs", ".zmetadata"].includes(k);
  await interrupted(expression(vars.a, "anomaly"), out, 5);
  assert.ok(
    written.includes(".dae/done.log") && !written.some(isRoot),
    "no root metadata in the interrupted run",
  );
  written.length = 0;
  await toZarr(expression(vars.a, "anomaly"), out, { ...small, resume: true });
  const firstRoot = written.findIndex(isRoot);
  const lastWork = written
    .map((k) => k === ".dae/done.log" || k.startsWith("a/c/"))
    .lastIndexOf(true);
  assert.ok(
    lastWork > 0 && firstRoot > lastWork,
    `root metadata at write ${firstRoot}, last chunk or record at ${lastWork}`,
  );
  assertSameStores(storeFiles(out), storeFiles(want));
});

test("a run killed while taking its lock (only a temporary file in .dae) is resumed, and a plain re-run says it is unfinished", async (t) => {
  const { dir, vars, want } = await setup(t);
  const out = path.join(dir, "out.zarr");
  // what a kill between writing the lock's temporary file and linking it leaves
  mkdirSync(path.join(out, ".dae"), { recursive: true });
  writeFileSync(path.join(out, ".dae", "lock.0123456789ab.partial"), "{");
  await assert.rejects(
    toZarr(expression(vars.a, "anomaly"), out, small),
    /exists and is unfinished \(no task done\): continue it with --resume, or start again with --overwrite/,
  );
  const report = await toZarr(expression(vars.a, "anomaly"), out, { ...small, resume: true });
  assert.equal(report.tasksSkipped, 0);
  assertSameStores(storeFiles(out), storeFiles(want));
});

test("a run stopped while clearing its records (root metadata written, done/ gone, plan left) resumes without recomputing", async (t) => {
  const { dir, vars, want, interrupted, tasks } = await setup(t);
  const out = path.join(dir, "out.zarr");
  await interrupted(expression(vars.a, "anomaly"), out, 5);
  const plan = readFileSync(path.join(out, ".dae", "plan.json"));
  await toZarr(expression(vars.a, "anomaly"), out, { ...small, resume: true });
  // the state a kill between finish()'s deletes leaves: a complete store and the plan record
  mkdirSync(path.join(out, ".dae"));
  writeFileSync(path.join(out, ".dae", "plan.json"), plan);
  assert.deepEqual(
    await recordedProgress(out),
    { done: tasks, tasks },
    "the records count every task done, though done/ is gone",
  );
  await assert.rejects(
    toZarr(expression(vars.a, "anomaly"), out, small),
    new RegExp(`exists and is unfinished \\(${tasks} of ${tasks} tasks done\\)`),
  );
  const notes: string[] = [];
  // while it runs, the store stays complete: a kill then must not leave it reading as nothing done
  const rootSeen: boolean[] = [];
  const onProgress = () => rootSeen.push(existsSync(path.join(out, "zarr.json")));
  const report = await toZarr(expression(vars.a, "anomaly"), out, {
    ...small,
    resume: true,
    onNote: (m) => notes.push(m),
    onProgress,
  });
  assert.ok(
    rootSeen.length > 0 && rootSeen.every(Boolean),
    "root metadata kept while the finished run completes",
  );
  assert.equal(report.tasksSkipped, tasks, "no task computed again");
  assert.match(notes.join(), /every task was done; finishing its metadata/);
  assert.ok(!existsSync(path.join(out, ".dae")), "records cleared");
  assertSameStores(storeFiles(out), storeFiles(want));
});

test("a resume runs the recorded plan even with another memory budget or executor, and refuses another expression", async (t) => {
  const { dir, vars, want, interrupted, tasks } = await setup(t);
  const out = path.join(dir, "out.zarr");
  await interrupted(expression(vars.a, "anomaly"), out, 3);
  await assert.rejects(
    toZarr(expression(vars.a, "rolling"), out, { ...roomy, resume: true }),
    /cannot resume: it was started with another plan/,
  );
  await assert.rejects(
    toZarr(expression(vars.a, "anomaly").rechunk({ t: 8 }), out, { ...roomy, resume: true }),
    /cannot resume: it was started with another plan/,
  );
  const report = await toZarr(expression(vars.a, "anomaly"), out, {
    executor: "threads",
    workers: 2,
    memory: 256 << 20,
    resume: true,
  });
  assert.equal(report.tasksSkipped, 3);
  assert.equal(
    report.progress.tasksTotal,
    tasks,
    "the recorded blocks, not those of the new budget",
  );
  assertSameStores(storeFiles(out), storeFiles(want));
});

test("--overwrite starts an unfinished output again", async (t) => {
  const { dir, vars, want, interrupted } = await setup(t);
  const out = path.join(dir, "out.zarr");
  await interrupted(expression(vars.a, "rolling"), out, 2, roomy);
  const report = await toZarr(expression(vars.a, "anomaly"), out, { ...small, overwrite: true });
  assert.equal(report.tasksSkipped, 0);
  assertSameStores(storeFiles(out), storeFiles(want));
});

test("two runs on one output: the second is refused and names the first", async (t) => {
  const { dir, vars, interrupted } = await setup(t);
  const out = path.join(dir, "out.zarr");
  await interrupted(expression(vars.a, "anomaly"), out, 1);
  const lock = await OutputLock.acquire(new FsStore(out, true));
  t.after(() => lock.release());
  const holder = new RegExp(
    `is being written by another run \\(pid ${process.pid} on ${hostname()}, started .*, heartbeat \\d+ s ago\\); wait for it to finish or stop it`,
  );
  for (const options of [{}, { resume: true }, { overwrite: true }])
    await assert.rejects(
      toZarr(expression(vars.a, "anomaly"), out, { ...small, ...options }),
      holder,
    );
  await assert.rejects(OutputLock.acquire(new FsStore(out, true)), holder);
});

test("a stale lock (its process gone, or no heartbeat) is taken over with a note; a live one from another host is not", async (t) => {
  const { dir, vars, want, interrupted } = await setup(t);
  const cases = [
    { holder: { pid: deadPid(), hostname: hostname(), heartbeat: Date.now() }, why: /is gone/ },
    {
      holder: { pid: 1, hostname: "elsewhere.example", heartbeat: Date.now() - 10 * 60_000 },
      why: /sent no heartbeat for \d+ s/,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const out = path.join(dir, `out${i}.zarr`);
    await interrupted(expression(vars.a, "anomaly"), out, 4);
    writeLock(out, c.holder);
    const notes: string[] = [];
    const report = await toZarr(expression(vars.a, "anomaly"), out, {
      ...small,
      resume: true,
      onNote: (m) => notes.push(m),
    });
    assert.match(notes.join(), /taking over a stale lock/);
    assert.match(notes.join(), c.why);
    assert.equal(report.tasksSkipped, 4);
    assertSameStores(storeFiles(out), storeFiles(want));
  }
  const out = path.join(dir, "live.zarr");
  await interrupted(expression(vars.a, "anomaly"), out, 1);
  writeLock(out, { pid: 1, hostname: "elsewhere.example", heartbeat: Date.now() });
  await assert.rejects(
    toZarr(expression(vars.a, "anomaly"), out, { ...small, resume: true }),
    /is being written by another run \(pid 1 on elsewhere\.example/,
  );
});

test("a run whose lock is taken by another run stops", async (t) => {
  const dir = tempDir(t);
  const store = new FsStore(dir, true);
  let onLost: (m: string) => void = () => {};
  const lostMessage = new Promise<string>((r) => (onLost = r));
  const lock = await OutputLock.acquire(store, { staleAfterMs: 400, onLost: (m) => onLost(m) });
  writeLock(dir, { pid: 1, hostname: "elsewhere.example", heartbeat: Date.now() });
  // the next heartbeat finds the lock taken (its timer does not keep the process up: this does)
  const bound = setTimeout(() => onLost("no heartbeat noticed the taken lock in 10 s"), 10_000);
  const lost = await lostMessage;
  clearTimeout(bound);
  assert.match(lost, /the output's lock was taken by pid 1 on elsewhere\.example; stopping/);
  await lock.release();
  assert.ok(existsSync(path.join(dir, ".dae", "lock")), "release leaves another run's lock alone");
});
