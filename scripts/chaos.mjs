// Chaos run: kills a long `toZarr` run (SIGKILL) at random moments, resumes it, and checks the
// finished output has the bytes of an uninterrupted run. Uses the compiled library (dist/src):
// run `npm run build` first, or `npm run chaos`.
//   node scripts/chaos.mjs [--faults N] [--size small|large] [--executor threads|inline] [--seed S] [--keep] [--quiet]
// Prints one line per fault, then `N faults injected, N survived, N lost`: a round (a fresh output,
// killed and resumed until it completes) is lost when it ends with other bytes or never completes,
// and its faults did not survive. Exits 0 only when nothing is lost.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { toZarr } from "../dist/src/api/compute.js";
import { fromArray, openDataset } from "../dist/src/api/open-dataset.js";
import { recordedProgress } from "../dist/src/exec/resume.js";
import { chunkRuns } from "../dist/src/exec/run-task.js";
import { blockBox, taskAt } from "../dist/src/plan/plan.js";

const SELF = fileURLToPath(import.meta.url);
const USAGE =
  "usage: node scripts/chaos.mjs [--faults N] [--size small|large] [--executor threads|inline] [--seed S] [--keep] [--quiet]";
/** Input shapes (t, y, x; chunks 4 × 16 × 16): small runs in seconds, large has seven times the data. */
const SIZES = { small: [64, 96, 96], large: [256, 128, 128] };
/** Root metadata: what marks a Zarr store complete (v3, v2). */
const ROOT_METADATA = ["zarr.json", ".zgroup", ".zmetadata"];
const METADATA = /(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata)$/;

// --- the child: one run, printing `progress <done> <total>` per task and `done <skipped> <total>` at the end
if (process.argv[2] === "--child") {
  const run = JSON.parse(process.argv[3]);
  const { vars } = await openDataset(run.input);
  const a = vars.a;
  // a reduction, a broadcast and a rechunk: several stages and many small tasks to kill in between
  const report = await toZarr(
    a.sub(a.mean("t")).mul(2).rechunk({ t: 4, y: 16, x: 16 }),
    run.output,
    {
      executor: run.executor,
      workers: run.workers,
      memory: run.memory,
      resume: run.resume,
      onProgress: (p) => process.stdout.write(`progress ${p.tasksDone} ${p.tasksTotal}\n`),
    },
  );
  process.stdout.write(`done ${report.tasksSkipped} ${report.progress.tasksTotal}\n`);
  process.exit(0);
}

// --- the parent
let opts;
try {
  const { values } = parseArgs({
    options: {
      faults: { type: "string", default: "20" },
      size: { type: "string", default: "small" },
      executor: { type: "string", default: "threads" },
      seed: { type: "string", default: String(Date.now() % 100000) },
      keep: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
  });
  opts = { ...values, faults: Number(values.faults), seed: Number(values.seed) };
  if (!Number.isInteger(opts.faults) || opts.faults < 1)
    throw new Error(`--faults must be a whole number ≥ 1, not '${values.faults}'`);
  if (!(opts.size in SIZES)) throw new Error(`--size must be small or large, not '${values.size}'`);
  if (!["threads", "inline"].includes(opts.executor))
    throw new Error(`--executor must be threads or inline, not '${values.executor}'`);
  if (!Number.isInteger(opts.seed))
    throw new Error(`--seed must be a whole number, not '${values.seed}'`);
} catch (e) {
  // parseArgs' messages go on with a hint about `--`: its first sentence is enough
  process.stderr.write(`chaos: ${e.message.split(". ")[0]} (${USAGE})\n`);
  process.exit(2);
}

const log = (line) => opts.quiet || process.stdout.write(`${line}\n`);
/** The LCG of test/distributed/resume.test.ts: a failing run can be replayed from its seed. */
let state = opts.seed >>> 0;
const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;

/** Writes the deterministic float64 input `a` (t, y, x) with smooth values, some NaN, and coordinates. */
async function writeInput(dir, shape) {
  const [nt, ny, nx] = shape;
  const data = new Float64Array(nt * ny * nx);
  for (let i = 0; i < data.length; i++)
    data[i] = i % 97 === 0 ? NaN : Math.sin(i / 1000) * 100 + (i % 13);
  const coord = (n) => Float64Array.from({ length: n }, (_, i) => i);
  const a = fromArray(data, {
    shape,
    dims: ["t", "y", "x"],
    chunks: [4, 16, 16],
    name: "a",
    coords: { t: coord(nt), y: coord(ny), x: coord(nx) },
  });
  const file = path.join(dir, "input.zarr");
  // stored in small chunks (toZarr would pick chunks of a few MB), so tasks stay small
  await toZarr(a.rechunk({ t: 4, y: 16, x: 16 }), file, {
    executor: "inline",
    onNote: () => undefined,
  });
  return file;
}

let current; // the live child, killed if this script is stopped
/** Starts a run in a child process, counting its progress lines. */
function start(run) {
  const proc = spawn(process.execPath, [SELF, "--child", JSON.stringify(run)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child = { proc, events: 0, done: false, stderr: "", onEvent: () => undefined };
  let buffered = "";
  proc.stdout.on("data", (d) => {
    const lines = (buffered += d).split("\n");
    buffered = lines.pop();
    for (const line of lines) {
      if (line.startsWith("progress ")) {
        child.events++;
        child.onEvent();
      } else if (line.startsWith("done ")) child.done = true;
    }
  });
  proc.stderr.on("data", (d) => (child.stderr += d));
  // "close": stdout is read to its end, so a `done` printed before a kill is seen
  child.exited = new Promise((r) => proc.once("close", (code) => r(code)));
  current = proc;
  return child;
}

/** Kills `child` (SIGKILL) after a random number of progress events or a random delay, unless it ends first. */
async function killSomewhen(child, events, runMs) {
  const byProgress = rand() < 0.5;
  const target = 1 + Math.floor(rand() * events * 0.8);
  const delay = rand() * runMs; // from the start: setup and stages are hit too
  let timer;
  const moment = byProgress
    ? new Promise((r) => (child.onEvent = () => child.events >= target && r()))
    : new Promise((r) => (timer = setTimeout(r, delay)));
  await Promise.race([moment, child.exited]);
  clearTimeout(timer);
  child.proc.kill("SIGKILL");
  await child.exited;
  return byProgress
    ? `after ${child.events} progress events`
    : `${Math.round(delay)} ms after start`;
}

/** Waits for `child` to end; false when it does not within `ms` (it is killed). */
async function finishes(child, ms) {
  let timer;
  const late = await Promise.race([
    child.exited.then(() => false),
    new Promise((r) => (timer = setTimeout(() => r(true), ms))),
  ]);
  clearTimeout(timer);
  if (late) {
    child.proc.kill("SIGKILL");
    await child.exited;
  }
  return !late && child.done;
}

/** Every file of a store (relative path → bytes), without the run's records (`.dae/`). */
function storeFiles(root) {
  const out = new Map();
  for (const name of readdirSync(root, { recursive: true })) {
    const p = path.join(root, name);
    if (name.split(path.sep)[0] !== ".dae" && statSync(p).isFile()) out.set(name, readFileSync(p));
  }
  return out;
}

/** How `got` differs from `want` ("" when it holds the same files with the same bytes); `chunksOnly`: are `want`'s chunks all in `got`. */
function difference(got, want, chunksOnly = false) {
  const wanted = [...want.keys()].filter((k) => !chunksOnly || !METADATA.test(k));
  const missing = wanted.filter((k) => !got.has(k));
  const changed = wanted.filter((k) => got.has(k) && !got.get(k).equals(want.get(k)));
  const extra = chunksOnly ? [] : [...got.keys()].filter((k) => !want.has(k));
  const parts = [
    [missing, "missing"],
    [changed, "with other bytes"],
    [extra, "extra"],
  ].filter(([l]) => l.length);
  return parts.map(([l, what]) => `${l.length} files ${what} (${l[0]}…)`).join(", ");
}

/**
 * What an interrupted output holds that a run could not have left: a task recorded done
 * whose chunks are not all there, or a chunk with other bytes than the reference's ("" when
 * there is nothing). Chunks the reference does not have are all fill value and not written.
 */
function wrongSoFar(output, want) {
  if (!existsSync(output)) return ""; // killed before it was created
  const got = storeFiles(output);
  const chunk = (k) => !METADATA.test(k) && !k.endsWith(".partial");
  const changed = [...got.keys()].filter(
    (k) => chunk(k) && !(want.get(k)?.equals(got.get(k)) ?? false),
  );
  if (changed.length)
    return `${changed.length} chunk files with other bytes than the reference's (${changed[0]}…)`;
  const planFile = path.join(output, ".dae", "plan.json");
  const doneDir = path.join(output, ".dae", "done");
  if (!existsSync(planFile) || !existsSync(doneDir)) return "";
  const { plan } = JSON.parse(readFileSync(planFile, "utf8"));
  for (const name of readdirSync(doneDir).filter((n) => /^\d+$/.test(n))) {
    const task = taskAt(plan, Number(name));
    const box = blockBox(plan, task.group, task.block);
    for (const o of plan.groups[task.group].outputs.map((i) => plan.outputs[i])) {
      if (o.target.kind !== "zarr") continue;
      const first = box.start.map((s, d) => Math.floor(s / o.chunkShape[d]));
      const last = box.stop.map((s, d) => Math.ceil(s / o.chunkShape[d]));
      for (const [coords] of chunkRuns(first, last, 1)) {
        const key = path.join(o.target.path, "c", ...coords.map(String));
        if (want.has(key) && !got.has(key))
          return `task ${name} is recorded done, but its chunk ${key} is missing`;
      }
    }
  }
  return "";
}

const dir = mkdtempSync(path.join(os.tmpdir(), "dae-chaos-"));
const cleanup = () => opts.keep || rmSync(dir, { recursive: true, force: true });
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    current?.kill("SIGKILL");
    cleanup();
    process.exit(130);
  });

let injected = 0;
let survived = 0;
let lost = 0;
try {
  const input = await writeInput(dir, SIZES[opts.size]);
  // small tasks, many of them (as in resume.test.ts)
  const base = {
    input,
    executor: opts.executor,
    workers: 4,
    memory: (opts.executor === "inline" ? 1 : 4) << 20,
  };
  // the reference: the same run in a child, uninterrupted and without resume
  const want = path.join(dir, "want.zarr");
  const began = Date.now();
  const reference = start({ ...base, output: want });
  if (!(await finishes(reference, 600_000)))
    throw new Error(`the reference run failed: ${reference.stderr.trim()}`);
  const runMs = Date.now() - began;
  const wantFiles = storeFiles(want);
  const timeout = 60_000 + 20 * runMs;
  log(
    `seed ${opts.seed}: ${opts.size} input, ${opts.executor}, ${reference.events} progress events in ${runMs} ms uninterrupted; ${dir}`,
  );

  const output = path.join(dir, "out.zarr");
  const run = { ...base, output, resume: true };
  // rounds: a fresh output, killed and resumed until a run ends before its kill (or enough faults are in)
  for (let round = 1; injected < opts.faults; round++) {
    rmSync(output, { recursive: true, force: true });
    rmSync(`${output}.dae-work`, { recursive: true, force: true });
    let faults = 0;
    let recorded = 0;
    let failure = "";
    for (;;) {
      const child = start(run);
      if (injected === opts.faults) {
        if (!(await finishes(child, timeout)))
          failure = `the last resume did not complete: ${child.stderr.trim() || "timed out"}`;
        break;
      }
      const when = await killSomewhen(child, reference.events, runMs);
      if (child.done) break; // it finished before the kill: no fault
      const code = await child.exited;
      if (code !== null) {
        failure = `a run failed on its own (exit ${code}): ${child.stderr.trim()}`;
        break;
      }
      faults++;
      injected++;
      const records = await recordedProgress(output);
      log(
        `fault ${injected}: round ${round}, killed ${when}; ${records ? `${records.done} of ${records.tasks} tasks recorded done` : "no records"}`,
      );
      // root metadata says "complete": every chunk must be there already
      if (ROOT_METADATA.some((k) => existsSync(path.join(output, k)))) {
        const missing = difference(storeFiles(output), wantFiles, true);
        if (missing) failure = `marked complete while unfinished: ${missing}`;
      } else if ((records?.done ?? 0) < recorded)
        failure = `records shrank from ${recorded} to ${records?.done ?? 0} tasks done`;
      else failure = wrongSoFar(output, wantFiles);
      if (failure) break;
      recorded = records?.done ?? 0;
    }
    if (!failure && faults > 0) {
      if (existsSync(path.join(output, ".dae")) || existsSync(`${output}.dae-work`))
        failure = "the run's records are left in a completed output";
      else failure = difference(storeFiles(output), wantFiles);
    }
    if (failure) {
      lost++;
      process.stderr.write(`round ${round} lost after ${faults} faults: ${failure}\n`);
      if (faults === 0) break; // a run that fails without any fault fails again: stop here
    } else survived += faults;
  }
} catch (e) {
  lost++;
  process.stderr.write(`chaos: ${e.message}\n`);
} finally {
  current?.kill("SIGKILL");
  if (opts.keep) log(`kept ${dir}`);
  cleanup();
}
process.stdout.write(`${injected} faults injected, ${survived} survived, ${lost} lost\n`);
process.exit(lost === 0 ? 0 : 1);
