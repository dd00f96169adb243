import type { Measurement } from "./measure.js";

/** One tool on one workload, over all runs. */
export interface Row {
  workload: string;
  title: string;
  tool: string;
  ours: boolean;
  status: "ok" | "missing" | "failed" | "timeout";
  /** Why it is not ok, or what to know about it. */
  note?: string;
  runs: Measurement[];
  median?: Measurement;
  /** Root mean square of the result (NaN skipped), to see that tools agree; written outputs are read back untimed. */
  check?: number;
  /** Our median wall time ÷ this peer's (below 1: we are faster). */
  ratio?: number;
}

/** The machine the numbers come from. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews wall times. */
  loadAverage: [number, number];
}

/** Everything one bench run measured: what `latest.json` holds. */
export interface Report {
  date: string;
  size: string;
  shape: number[];
  chunks: number[];
  rawGB: number;
  /** On-disk sizes of the inputs, MB. */
  inputsMB: Record<string, number>;
  memory: string;
  runs: number;
  machine: Machine;
  rows: Row[];
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined ? "" : x.toFixed(digits));

function cells(r: Row): string[] {
  const m = r.median;
  const status = r.status === "ok" ? "" : r.status;
  return [
    r.workload,
    r.title,
    r.tool,
    m ? fmt(m.wall) : status,
    fmt(m?.user),
    fmt(m?.sys),
    fmt(m?.rssMB, 0),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
    r.check === undefined ? "" : r.check.toPrecision(8),
    r.note ?? "",
  ];
}

const HEADER = [
  "id",
  "workload",
  "tool",
  "wall s",
  "user s",
  "sys s",
  "peak RSS MB",
  "ours ÷ tool",
  "check",
  "note",
];

/** The report as a markdown table with a line about the machine and data (for the README). */
export function markdown(rep: Report): string {
  const lines = [
    `Size ${rep.size}: float32 ${rep.shape.join(" × ")} (${rep.rawGB.toFixed(2)} GB raw), chunks ${rep.chunks.join(" × ")}, ` +
      `Zarr v2 zstd level 1 (${Object.entries(rep.inputsMB)
        .map(([k, v]) => `${k} ${v.toFixed(0)} MB`)
        .join(", ")}). ` +
      `Medians of ${rep.runs} run(s), warm page cache, whole processes timed with GNU time; our memory budget ${rep.memory}. ` +
      "`ours ÷ tool` below 1: we are faster; `check` is the root mean square of each result, equal when the tools agree.",
    "",
    `Machine: ${rep.machine.cpu}, ${rep.machine.cores} cores, ${rep.machine.memoryGB.toFixed(0)} GB, Node ${rep.machine.node}, ${rep.machine.platform}; ` +
      `load average ${rep.machine.loadAverage.map((l) => l.toFixed(1)).join(" → ")}; ${rep.date}.`,
    "",
    `| ${HEADER.join(" | ")} |`,
    `|${HEADER.map((_, i) => (i >= 3 && i <= 7 ? " ---: " : " --- ")).join("|")}|`,
    ...rep.rows.map(
      (r) =>
        `| ${cells(r)
          .map((c) => c.replace(/\|/g, "\\|"))
          .join(" | ")} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

/** The report as an aligned plain-text table for the terminal. */
export function textTable(rep: Report): string {
  const rows = [HEADER, ...rep.rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i >= 3 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
