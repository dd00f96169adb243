// Distributed executor on one machine: wall time with 1, 2 and 4 `dae worker` processes
// (the same plan each time; the inline executor's own run for reference), and the overhead
// each task pays for going through Redis: wall time minus the time workers spent inside
// tasks, per task, with one worker. Needs `npm run build` and redis-server.
//
//   node bench/distributed.mjs [--size 192] [--workers 1,2,4]
//   node bench/distributed.mjs --tiny 10000 [--workers 1,2,4]
//
// --tiny N runs N one-chunk tasks (a * 2 + 1 over 8×8 float32 slices) instead: the per-task
// cost of the queue itself, and Redis's memory after each run (flat in N if finished jobs go).
//
// Prints one JSON line per run and a summary table.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { toZarr } = await import(path.join(root, "dist/src/api/compute.js"));
const { fromArray, openDataset } = await import(path.join(root, "dist/src/api/open-dataset.js"));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const size = Number(arg("size", "256"));
const tiny = Number(arg("tiny", "0"));
const workerCounts = arg("workers", "1,2,4").split(",").map(Number);

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), "dae-bench-dist-"));
const children = [];
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
process.on("exit", () => {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
});

// input: float32 t × y × x, chunks 8 × 64 × 64 (--tiny: N × 8 × 8, chunks 1 × 8 × 8)
const shape = tiny ? [tiny, 8, 8] : [size, size, size];
const chunks = tiny ? [1, 8, 8] : [8, 64, 64];
const data = new Float32Array(shape[0] * shape[1] * shape[2]);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i / 977) * 50 + (i % 31);
const input = path.join(dir, "input.zarr");
await toZarr(
  fromArray(data, { shape, dims: ["t", "y", "x"], chunks, name: "a" }).rechunk({
    t: chunks[0],
    y: chunks[1],
    x: chunks[2],
  }),
  input,
  { executor: "inline", onNote: () => {} },
);
const { vars } = await openDataset(input);

const port = await freePort();
const redisUrl = `redis://127.0.0.1:${port}`;
const redis = spawn(
  "redis-server",
  ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  { stdio: "ignore" },
);
children.push(redis);
await new Promise((r) => setTimeout(r, 300));

// many small tasks (one output chunk each): what the per-task overhead is measured on
const workloads = tiny
  ? { [`${tiny} x (a * 2 + 1)`]: () => vars.a.mul(2).add(1).rechunk({ t: 1, y: 8, x: 8 }) }
  : {
      "rolling mean (t=7)": () => vars.a.rolling({ t: 7 }).mean().rechunk({ y: 32, x: 32 }),
      "a * 2 + 1": () => vars.a.mul(2).add(1).rechunk({ t: 8, y: 32, x: 32 }),
    };
// the same plan for every distributed run: budget and plan worker count fixed (many tasks;
// --tiny: one task per chunk)
const planOptions = { memory: tiny ? 64 << 20 : 256 << 20, workers: tiny || 32 };

async function startWorkers(n) {
  const started = [];
  for (let i = 0; i < n; i++) {
    const w = spawn(
      process.execPath,
      [path.join(root, "bin/dae.js"), "worker", "--redis", redisUrl, "--allow", dir, "--verbose"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(w);
    // "task <run>.<k> done (12 ms)": time spent inside tasks
    w.inTaskMs = 0;
    w.stdout.on("data", (d) => {
      for (const m of String(d).matchAll(/done \((\d+) ms\)/g)) w.inTaskMs += Number(m[1]);
    });
    started.push(
      new Promise((resolve) =>
        w.stderr.on("data", (d) => String(d).includes("taking tasks") && resolve()),
      ),
    );
    started[i].worker = w;
  }
  await Promise.all(started);
  return started.map((s) => s.worker);
}

/** CPU seconds (user + system) process `pid` has used so far (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Redis's used_memory now, in MB (what the runs left behind). */
async function redisMemoryMB() {
  const { Redis } = await import("ioredis");
  const r = new Redis(redisUrl);
  const info = await r.info("memory");
  r.disconnect();
  return Number(/used_memory:(\d+)/.exec(info)[1]) / 2 ** 20;
}

async function timed(fn) {
  const t0 = performance.now();
  const report = await fn();
  return { seconds: (performance.now() - t0) / 1000, tasks: report.progress.tasksTotal };
}

const rows = [];
for (const [name, expr] of Object.entries(workloads)) {
  const base = await timed(() =>
    toZarr(expr(), path.join(dir, "inline.zarr"), {
      memory: planOptions.memory,
      executor: "inline",
      overwrite: true,
    }),
  );
  rows.push({ workload: name, executor: "inline", workers: 1, ...base });
  console.log(JSON.stringify(rows.at(-1)));
  for (const n of workerCounts) {
    const workers = await startWorkers(n);
    const run = await timed(() =>
      toZarr(expr(), path.join(dir, `dist-${n}.zarr`), {
        ...planOptions,
        executor: "distributed",
        redis: redisUrl,
        overwrite: true,
        distributed: { inFlight: 4 * n },
      }),
    );
    const inTask = workers.reduce((s, w) => s + w.inTaskMs, 0);
    const cpu = workers.reduce((s, w) => s + cpuSeconds(w.pid), 0);
    rows.push({
      workload: name,
      executor: "distributed",
      workers: n,
      ...run,
      inTaskSeconds: inTask / 1000,
      tasksPerSecond: run.tasks / run.seconds,
      // worker time (n workers × wall) not spent inside tasks, per task
      overheadMsPerTask: (run.seconds * 1000 * n - inTask) / run.tasks,
      // CPU the workers used, per task (less at the mercy of a busy machine than wall time)
      workerCpuMsPerTask: (cpu * 1000) / run.tasks,
      redisMemoryMB: await redisMemoryMB(),
    });
    console.log(JSON.stringify(rows.at(-1)));
    workers.forEach((w) => w.kill("SIGTERM"));
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.once("exit", r)))),
    );
  }
}

console.log(
  `\ninput ${shape.join("×")} float32 (${(data.byteLength / 2 ** 20) | 0} MB), ${os.availableParallelism?.() ?? os.cpus().length} cores`,
);
console.log(
  "workload              executor      workers  tasks  wall s   tasks/s  ms/task overhead  worker CPU ms/task  Redis MB",
);
for (const r of rows)
  console.log(
    `${r.workload.padEnd(21)} ${r.executor.padEnd(12)} ${String(r.workers).padStart(7)} ${String(r.tasks).padStart(6)} ${r.seconds.toFixed(2).padStart(7)} ${(r.tasks / r.seconds).toFixed(0).padStart(8)}  ${r.overheadMsPerTask === undefined ? "" : r.overheadMsPerTask.toFixed(1).padStart(16)}  ${r.workerCpuMsPerTask === undefined ? "" : r.workerCpuMsPerTask.toFixed(1).padStart(18)}  ${r.redisMemoryMB === undefined ? "" : r.redisMemoryMB.toFixed(1).padStart(8)}`,
  );
process.exit(0);
