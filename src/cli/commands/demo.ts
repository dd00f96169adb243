import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import {
  load,
  resolveMemory,
  toZarr,
  type ComputeOptions,
  type RunReport,
} from "../../api/compute.js";
import { LazyArray } from "../../api/lazy-array.js";
import { fromArray, openDataset, type LazyDataset } from "../../api/open-dataset.js";
import { formatTime, timeComponents } from "../../dataset/calendar.js";
import { writeDatasetZarr } from "../../dataset/write-zarr.js";
import { defaultWorkers } from "../../exec/thread-executor.js";
import type { Progress } from "../../exec/executor.js";
import { InputError } from "../../util/errors.js";
import { formatBytes, formatSeconds } from "../../util/format.js";
import { DEMO_GRIDS, demoDataset, type DemoGrid } from "../demo-dataset.js";
import {
  progressMode,
  progressReporter,
  taskProgress,
  type ProgressReporter,
} from "../progress.js";
import type { RegisterCommand } from "./index.js";
import { plotArray } from "./plot.js";

interface DemoOptions {
  out: string;
  size: string;
  zarrFormat: string;
  memory?: string;
  workers?: string;
  quiet?: boolean;
}

/** The files and stores the demo writes in its folder: re-running replaces these, nothing else. */
export const DEMO_OUTPUTS = {
  input: "input.zarr",
  climatology: "climatology.zarr",
  anomaly: "anomaly.zarr",
  meanMap: "t2m_mean.png",
  anomalyMap: "t2m_anomaly_map.png",
  globalSeries: "t2m_global.png",
} as const;

/** The demo's computations over its input `t2m`, in two passes (the second reads the first's climatology). */
export interface DemoPipeline {
  /** Pass 1, one read of the input: the monthly climatology, the time-mean map, the area-weighted global mean series. */
  climatology: LazyArray[];
  /** Pass 2: the daily anomaly from the stored climatology, its 7-day rolling mean, and that mean's global mean series. */
  anomaly: (climatology: LazyArray) => LazyArray[];
}

/**
 * The demo's pipeline over a daily temperature `t2m` (time, lat, lon) with a latitude
 * coordinate, written with the library's own API: what the README's first command runs.
 *
 * @example
 * ```ts
 * const { vars } = await openDataset("dae-demo/input.zarr");
 * const pipeline = demoPipeline(vars.t2m);
 * await toZarr(pipeline.climatology, "climatology.zarr");
 * ```
 */
export function demoPipeline(t2m: LazyArray): DemoPipeline {
  // area weights: a grid cell's area is proportional to cos(latitude)
  const lat = t2m.coords.lat.values;
  const cosLat = Float64Array.from(lat, (v) => Math.cos((v * Math.PI) / 180));
  const weights = fromArray(cosLat, { shape: [lat.length], dims: ["lat"], name: "weights" });
  const meanWeight = cosLat.reduce((a, b) => a + b, 0) / cosLat.length;
  const globalMean = (a: LazyArray) => a.mul(weights).mean(["lat", "lon"]).div(meanWeight);
  // reductions drop attributes, as xarray's do: say what each result is
  const named = (a: LazyArray, name: string, longName: string) =>
    new LazyArray(a.built, a.coords, { long_name: longName, units: "K" }, name, a.chunkHint);
  return {
    climatology: [
      named(
        t2m.groupby("time.month").mean(),
        "t2m_clim",
        "monthly climatology of 2 m air temperature",
      ),
      named(t2m.mean("time"), "t2m_mean", "time-mean 2 m air temperature"),
      named(globalMean(t2m), "t2m_global", "global (area-weighted) mean 2 m air temperature"),
    ],
    anomaly: (climatology) => {
      const anomaly = t2m.groupby("time.month").sub(climatology);
      const weekly = anomaly.rolling({ time: 7 }).mean();
      return [
        named(
          weekly,
          "t2m_anom_7d",
          "7-day mean 2 m air temperature anomaly from the monthly climatology",
        ),
        named(globalMean(weekly), "t2m_anom_global_7d", "global mean of the 7-day mean anomaly"),
      ];
    },
  };
}

/** `dae demo`: writes a sample dataset, runs a real pipeline over it, draws pictures, prints a report. */
export const registerDemo: RegisterCommand = (program: Command) => {
  program
    .command("demo")
    .description(
      "the main job: write a realistic sample dataset (daily gridded temperature), compute a climatology, anomalies, a 7-day rolling mean and global means with the engine, write them as Zarr, draw maps and a time series, and report",
    )
    .option(
      "--out <dir>",
      "folder for the demo's files (its own outputs there are replaced, nothing else)",
      "dae-demo",
    )
    .option(
      "--size <small|default>",
      "small: 2 years on a 4° grid (12 MB); default: 3 years on a 1° grid (284 MB)",
      "default",
    )
    .option("--zarr-format <2|3>", "Zarr format of the stores written", "3")
    // a modest default, so that the demo shows bounded memory at work
    .option("--memory <size>", "memory budget for the computations", "1GB")
    .option("--workers <n>", "worker threads (default: one per core)")
    .option("--quiet", "print nothing on success")
    .action(async (options: DemoOptions) => {
      const grid = DEMO_GRIDS[options.size as keyof typeof DEMO_GRIDS];
      if (!grid) throw new InputError(`--size: expected small or default, got "${options.size}"`);
      const workers = options.workers === undefined ? undefined : Number(options.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1))
        throw new InputError(`--workers: expected a whole number ≥ 1, got "${options.workers}"`);
      const zarrFormat = Number(options.zarrFormat);
      if (zarrFormat !== 2 && zarrFormat !== 3)
        throw new InputError(`--zarr-format: must be 2 or 3, got "${options.zarrFormat}"`);
      const memory = resolveMemory(options.memory);
      const report = await runDemo(options.out, grid, {
        compute: { memory, workers },
        zarrFormat,
        quiet: options.quiet ?? false,
      });
      if (!options.quiet) process.stdout.write(report);
    });
};

/** One step of the report: what ran and what it did. */
interface Step {
  title: string;
  lines: string[];
  seconds: number;
  bytesRead: number;
  bytesWritten: number;
}

/** How to run the demo. */
export interface DemoRunOptions {
  compute: ComputeOptions & { memory: number };
  zarrFormat: 2 | 3;
  /** No progress display. */
  quiet: boolean;
}

/**
 * Runs the demo into `dir` (its own stores and pictures there are replaced; a store of that
 * name that is not a Zarr store is refused, never deleted) and returns its report.
 */
export async function runDemo(
  dir: string,
  grid: DemoGrid,
  { compute, zarrFormat, quiet }: DemoRunOptions,
): Promise<string> {
  const started = Date.now();
  await mkdir(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  const steps: Step[] = [];
  const mode = progressMode({ quiet });

  // 1. the input, written chunk by chunk through the library's Zarr writer
  await step(steps, "wrote the input", mode, "chunks", async (reporter) => {
    const t0 = Date.now();
    const summary = await writeDatasetZarr(demoDataset(grid), at(DEMO_OUTPUTS.input), {
      overwrite: true,
      zarrFormat,
      onProgress: (p) =>
        reporter.update({
          done: p.chunksDone,
          total: p.chunksTotal,
          bytesRead: 0,
          bytesWritten: p.bytesWritten,
          elapsedSeconds: (Date.now() - t0) / 1000,
          detail: `input: ${p.variable}`,
        }),
    });
    const onDisk = await diskUsage(at(DEMO_OUTPUTS.input));
    return {
      lines: [
        `${at(DEMO_OUTPUTS.input)}: t2m (time=${grid.days}, lat=${grid.nlat}, lon=${grid.nlon}) float32, chunks ${grid.chunks.join(" × ")}, ` +
          `days since 2000-01-01, and the land mask; ${formatBytes(summary.bytes)} raw, ${formatBytes(onDisk)} on disk (zstd)`,
      ],
      bytesRead: 0,
      bytesWritten: onDisk,
    };
  });

  const opened: LazyDataset[] = [];
  const openStore = async (name: string) => {
    const d = await openDataset(at(name));
    opened.push(d);
    return d.vars;
  };
  try {
    const vars = await openStore(DEMO_OUTPUTS.input);
    const t2m = vars.t2m;
    const pipeline = demoPipeline(t2m);
    const first = formatTime(t2m.coords.time.values[0], "standard").slice(0, 10);
    const last = formatTime(t2m.coords.time.values[grid.days - 1], "standard").slice(0, 10);

    // 2. pass 1 over the input
    await step(
      steps,
      "pass 1: climatology, time mean, global mean",
      mode,
      "tasks",
      async (reporter) => {
        const run = await toZarr(pipeline.climatology, at(DEMO_OUTPUTS.climatology), {
          ...compute,
          zarrFormat,
          overwrite: true,
          onProgress: progressTo(reporter, "pass 1 of 2"),
        });
        return runLines(run, [
          `t2m.groupby("time.month").mean()                      → ${describe(pipeline.climatology[0])}`,
          `t2m.mean("time")                                      → ${describe(pipeline.climatology[1])}`,
          `(t2m × cos lat).mean(["lat", "lon"]) / mean(cos lat)  → ${describe(pipeline.climatology[2])}`,
          `into ${at(DEMO_OUTPUTS.climatology)}`,
        ]);
      },
    );

    // 3. pass 2, with the climatology read back from its store
    const climatology = (await openStore(DEMO_OUTPUTS.climatology)).t2m_clim;
    const anomaly = pipeline.anomaly(climatology);
    await step(
      steps,
      "pass 2: anomaly, 7-day rolling mean, its global mean",
      mode,
      "tasks",
      async (reporter) => {
        const run = await toZarr(anomaly, at(DEMO_OUTPUTS.anomaly), {
          ...compute,
          zarrFormat,
          overwrite: true,
          onProgress: progressTo(reporter, "pass 2 of 2"),
        });
        return runLines(run, [
          `t2m.groupby("time.month") − t2m_clim                  (daily anomaly, never stored)`,
          `.rolling({ time: 7 }).mean()                          → ${describe(anomaly[0])}`,
          `global mean of it                                     → ${describe(anomaly[1])}`,
          `into ${at(DEMO_OUTPUTS.anomaly)}`,
        ]);
      },
    );

    // 4. pictures
    await step(steps, "pictures", "quiet", "", async () => {
      const results = await openStore(DEMO_OUTPUTS.anomaly);
      const series = await load(results.t2m_anom_global_7d, { ...compute, executor: "inline" });
      const day = mostAnomalousDay(series.data as ArrayLike<number>, series.coords.time.values);
      const date = formatTime(series.coords.time.values[day], "standard").slice(0, 10);
      const climate = await openStore(DEMO_OUTPUTS.climatology);
      const mean = await plotArray(climate.t2m_mean, at(DEMO_OUTPUTS.meanMap), {
        compute,
        subtitle: `${first} … ${last}`,
      });
      const map = await plotArray(
        results.t2m_anom_7d.isel({ time: day }),
        at(DEMO_OUTPUTS.anomalyMap),
        {
          compute,
          subtitle: `week ending ${date}, the mid-month week with the largest global-mean anomaly`,
        },
      );
      const line = await plotArray(climate.t2m_global, at(DEMO_OUTPUTS.globalSeries), {
        compute,
        subtitle: `${first} … ${last}, daily`,
      });
      return {
        lines: [
          `${at(DEMO_OUTPUTS.meanMap)} (${mean.width}×${mean.height}): time-mean map, ${mean.min.toFixed(1)} … ${mean.max.toFixed(1)} K`,
          `${at(DEMO_OUTPUTS.anomalyMap)} (${map.width}×${map.height}): 7-day mean anomaly, week ending ${date}, ${map.min.toFixed(1)} … ${map.max.toFixed(1)} K`,
          `${at(DEMO_OUTPUTS.globalSeries)} (${line.width}×${line.height}): global mean series, ${line.min.toFixed(2)} … ${line.max.toFixed(2)} K`,
        ],
        bytesRead: 0,
        bytesWritten: 0,
      };
    });

    const peak = process.resourceUsage().maxRSS * 1024;
    const total = (Date.now() - started) / 1000;
    const read = steps.reduce((n, s) => n + s.bytesRead, 0);
    const written = steps.reduce((n, s) => n + s.bytesWritten, 0);
    const out: string[] = [
      `dae demo: synthetic daily 2 m air temperature, ${first} … ${last}, ${grid.nlat} × ${grid.nlon} grid (${180 / grid.nlat}°)`,
      `executor: threads, ${compute.workers ?? defaultWorkers()} workers, memory budget ${formatBytes(compute.memory)}; Zarr v${zarrFormat}`,
      "",
    ];
    for (const s of steps) {
      out.push(`${s.title} (${formatSeconds(s.seconds)})`);
      for (const line of s.lines) out.push(`  ${line}`);
    }
    out.push(
      "",
      `total: ${formatSeconds(total)}; read ${formatBytes(read)}, wrote ${formatBytes(written)}; peak memory ${formatBytes(peak)} (resident, whole process) against a budget of ${formatBytes(compute.memory)} for the computations`,
      `look: dae info ${at(DEMO_OUTPUTS.anomaly)}`,
      `      dae plot ${at(DEMO_OUTPUTS.anomaly)} --var t2m_anom_7d --sel time=${first.slice(0, 4)}-07-01 -o july.png`,
      "",
    );
    return out.join("\n");
  } finally {
    await Promise.all(opened.map((d) => d.dataset.close()));
  }
}

/** Runs one step with a progress display and records its time and bytes. */
async function step(
  steps: Step[],
  title: string,
  mode: ReturnType<typeof progressMode>,
  unit: string,
  body: (reporter: ProgressReporter) => Promise<Omit<Step, "title" | "seconds">>,
): Promise<void> {
  const t0 = Date.now();
  const reporter = progressReporter(
    mode === "auto" && !process.stderr.isTTY ? "quiet" : mode,
    unit,
  );
  try {
    const done = await body(reporter);
    reporter.stop();
    steps.push({ title, seconds: (Date.now() - t0) / 1000, ...done });
  } catch (e) {
    reporter.stop();
    throw e;
  }
}

function progressTo(reporter: ProgressReporter, detail: string): (p: Progress) => void {
  return (p) => reporter.update({ ...taskProgress(p), detail }, p);
}

function runLines(run: RunReport, lines: string[]): Omit<Step, "title" | "seconds"> {
  const p = run.progress;
  return {
    lines: [
      ...lines,
      `${p.tasksDone} tasks, read ${formatBytes(p.bytesRead)}, wrote ${formatBytes(p.bytesWritten)}, ${p.decodes} chunk decodes`,
    ],
    bytesRead: p.bytesRead,
    bytesWritten: p.bytesWritten,
  };
}

function describe(a: LazyArray): string {
  return `${a.name} (${a.dims.map((d, i) => `${d}=${a.shape[i]}`).join(", ")})`;
}

/**
 * The 15th of a month where |value| is largest. Mid-month, because a 7-day anomaly from a
 * monthly climatology near a month's ends mostly shows the seasonal slope within the month.
 */
function mostAnomalousDay(values: ArrayLike<number>, times: Float64Array): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (timeComponents(times[i], "standard").day !== 15 || Number.isNaN(values[i])) continue;
    if (best < 0 || Math.abs(values[i]) > Math.abs(values[best])) best = i;
  }
  return Math.max(best, 0);
}

/** Bytes of the files under `dir`. */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await diskUsage(p) : (await stat(p)).size;
  }
  return total;
}
