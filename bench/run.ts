/**
 * The benchmark suite (issue 7): `npm run bench -- [--size XS|S|M|L] [--only W1,W3] [--runs N]
 * [--memory 1GB] [--tools dae,cdo] [--timeout SECONDS] [--data DIR] [--out DIR]`.
 *
 * Writes a deterministic float32 cube with xarray (cached in .bench-data/), runs each workload
 * on our engine and on every peer installed here as whole processes under GNU time, and
 * prints a table of medians; writes latest.json, latest.md and latest.png to bench/results/.
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeChart } from "./chart.js";
import { diskBytes, ensureData, PYTHON } from "./data.js";
import { GNU_TIME, medianOf, timed, type Measurement } from "./measure.js";
import { markdown, textTable, type Report, type Row } from "./report.js";
import { isSizeName, SIZES } from "./sizes.js";
import { missingReason, WORKLOADS, type Context } from "./workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = path.extname(fileURLToPath(import.meta.url));

/** The repository root: the nearest folder above this file with package.json. */
function repoRoot(): string {
  let dir = here;
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("bench: cannot find the repository root");
    dir = up;
  }
  return dir;
}

const log = (s: string) => process.stderr.write(s + "\n");

function lastJson(stdout: string): Record<string, unknown> | undefined {
  const line = stdout.trim().split("\n").pop();
  try {
    return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads every file of `inputs` (in `data`) once, so that a run finds them in the page cache:
 * the machines the suite runs on page out what has not been read for about a minute (DAMON),
 * and W4's b.zarr or W6's a.nc would otherwise be read from disk by whichever tool runs first.
 */
function warmInputs(data: string, inputs: readonly string[]): void {
  const buf = Buffer.allocUnsafe(16 << 20);
  const read = (p: string): void => {
    if (statSync(p).isDirectory()) return readdirSync(p).forEach((n) => read(path.join(p, n)));
    const fd = openSync(p, "r");
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  };
  for (const i of inputs) read(path.join(data, i));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "S" },
      only: { type: "string" },
      tools: { type: "string" },
      runs: { type: "string", default: "3" },
      timeout: { type: "string", default: "1200" },
      memory: { type: "string", default: "1GB" },
      data: { type: "string" },
      out: { type: "string" },
    },
  });
  const root = repoRoot();
  const size = values.size!.toUpperCase();
  if (!isSizeName(size)) throw new Error(`--size ${values.size}: use XS, S, M or L`);
  const runs = Number(values.runs);
  if (!(Number.isInteger(runs) && runs >= 1))
    throw new Error(`--runs ${values.runs}: a positive integer`);
  const limit = Number(values.timeout);
  if (!(limit > 0))
    throw new Error(`--timeout ${values.timeout}: seconds per run, a positive number`);
  if (!existsSync(GNU_TIME))
    throw new Error(`${GNU_TIME} is missing: apt-get install time (scripts/setup-system.sh)`);
  const only = values.only?.split(",").map((s) => s.trim().toUpperCase());
  const tools = values.tools?.split(",").map((s) => s.trim());
  const params = SIZES[size];
  const data = path.resolve(values.data ?? path.join(root, ".bench-data"), size);
  const outDir = path.resolve(values.out ?? path.join(root, "bench", "results"));
  const py = path.join(root, "bench", "py");

  ensureData(data, params, py, log);
  const scratch = path.join(data, "out");
  mkdirSync(scratch, { recursive: true });
  mkdirSync(outDir, { recursive: true });

  const loadBefore = os.loadavg()[0];
  const rows: Row[] = [];
  for (const w of WORKLOADS) {
    if (only && !only.includes(w.id)) continue;
    for (const runner of w.runners) {
      if (tools && !tools.includes(runner.tool)) continue;
      const row: Row = {
        workload: w.id,
        title: w.title,
        tool: runner.tool,
        ours: runner.ours,
        status: "ok",
        runs: [],
      };
      rows.push(row);
      const missing = missingReason(runner.tool);
      if (missing) {
        Object.assign(row, { status: "missing", note: missing });
        log(`${w.id} ${runner.tool}: missing (${missing})`);
        continue;
      }
      const out = path.join(
        scratch,
        `${w.id}-${runner.tool.replace(/[^a-z0-9]+/gi, "_")}.${runner.output ?? "none"}`,
      );
      const ctx: Context = {
        data,
        out,
        memory: values.memory!,
        node: [process.execPath, ...(ext === ".ts" ? ["--import", "tsx"] : [])],
        scripts: here,
        ext,
        py,
      };
      const [cmd, ...args] = runner.command(ctx);
      for (let r = 0; r < runs; r++) {
        rmSync(out, { recursive: true, force: true });
        // the last run's written data goes to disk now, not as writeback during this one
        // (W1 right after writing workloads: 3.6 s, alone 3.0 s)
        spawnSync("sync");
        warmInputs(data, w.inputs);
        const t = await timed(cmd, args, limit);
        const result = lastJson(t.stdout);
        // a written output is summarised once (untimed), so tools can be seen to agree
        if (t.code === 0 && r === 0 && runner.output && existsSync(out)) {
          const check = spawnSync(PYTHON, [path.join(py, "check_output.py"), out], {
            encoding: "utf8",
          });
          const value = lastJson(check.stdout ?? "")?.check;
          if (typeof value === "number") row.check = value;
        }
        rmSync(out, { recursive: true, force: true });
        if (t.timedOut) {
          Object.assign(row, { status: "timeout", note: `killed after ${limit} s (--timeout)` });
          log(`${w.id} ${runner.tool}: TIMEOUT after ${limit} s`);
          break;
        }
        if (t.code !== 0 || !t.measurement) {
          // the error line, not node's version footer or a stack frame
          const lines = t.stderr.trim().split("\n").filter(Boolean);
          const why = lines.find((l) => /error/i.test(l)) ?? lines.pop() ?? `exit ${t.code}`;
          Object.assign(row, { status: "failed", note: why.slice(0, 200) });
          log(`${w.id} ${runner.tool}: FAILED: ${why}`);
          break;
        }
        row.runs.push(t.measurement);
        if (typeof result?.check === "number") row.check = result.check;
        log(
          `${w.id} ${runner.tool} run ${r + 1}/${runs}: ${t.measurement.wall.toFixed(2)} s, ${t.measurement.rssMB.toFixed(0)} MB`,
        );
      }
      if (row.status === "ok") row.median = medianOf(row.runs as Measurement[]);
    }
  }
  for (const row of rows) {
    if (row.ours || !row.median) continue;
    const base = WORKLOADS.find((w) => w.id === row.workload)?.compareWith ?? row.workload;
    const mine = rows.find((r) => r.ours && r.workload === base && r.median);
    if (mine) row.ratio = mine.median!.wall / row.median.wall;
  }
  rmSync(scratch, { recursive: true, force: true });

  const report: Report = {
    date: new Date().toISOString(),
    size,
    shape: params.shape,
    chunks: params.chunks,
    rawGB: (params.shape.reduce((a, b) => a * b, 1) * 4) / 1e9,
    inputsMB: Object.fromEntries(
      ["a.zarr", "b.zarr", "a.nc"]
        .filter((f) => existsSync(path.join(data, f)))
        .map((f) => [f, diskBytes(path.join(data, f)) / 1e6]),
    ),
    memory: values.memory!,
    runs,
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? "unknown",
      cores: os.availableParallelism(),
      memoryGB: os.totalmem() / 1024 ** 3,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverage: [loadBefore, os.loadavg()[0]],
    },
    rows,
  };
  writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(path.join(outDir, "latest.md"), markdown(report));
  writeChart(report, path.join(outDir, "latest.png"));
  console.log(textTable(report));
  log(`\nwrote ${path.join(outDir, "latest.json")}, latest.md, latest.png`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
