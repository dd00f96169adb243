// A run in a process of its own, for tests that kill it: `run-child.ts JSON` where JSON is a
// ChildRun. Prints `progress <tasksDone> <tasksTotal>` per finished task, `note <message>` per
// note and `done <skipped> <total>` at the end.
import { toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import type { LazyArray } from "../../src/api/lazy-array.js";

/** What to compute and how. */
export interface ChildRun {
  input: string;
  output: string;
  expr: Expr;
  executor: "threads" | "inline" | "distributed";
  redis?: string;
  resume?: boolean;
  overwrite?: boolean;
  workers?: number;
  memory?: number;
  inFlight?: number;
  stallReportSeconds?: number;
  stallLimitSeconds?: number;
}

export type Expr = "mean" | "rechunk" | "rolling" | "anomaly";

/** The expressions the tests compute over input `a` (t, y, x). */
export function expression(a: LazyArray, expr: Expr): LazyArray {
  switch (expr) {
    case "mean":
      return a.mean("t");
    case "rechunk":
      return a.rechunk({ t: 32, y: 8, x: 8 });
    case "rolling":
      return a.rolling({ t: 5 }).mean().rechunk({ y: 16, x: 16 });
    case "anomaly":
      return a.sub(a.mean("t")).mul(2).rechunk({ t: 4, y: 16, x: 16 });
  }
}

async function main() {
  const run = JSON.parse(process.argv[2]) as ChildRun;
  const { vars } = await openDataset(run.input);
  const report = await toZarr(expression(vars.a, run.expr), run.output, {
    executor: run.executor,
    redis: run.redis,
    resume: run.resume,
    overwrite: run.overwrite,
    workers: run.workers,
    memory: run.memory,
    distributed: {
      inFlight: run.inFlight,
      stallReportSeconds: run.stallReportSeconds,
      stallLimitSeconds: run.stallLimitSeconds,
    },
    onProgress: (p) => process.stdout.write(`progress ${p.tasksDone} ${p.tasksTotal}\n`),
    // notes as the CLI prints them, and on stdout too, where tests wait for lines
    onNote: (m) => {
      process.stderr.write(`dae: note: ${m}\n`);
      process.stdout.write(`note ${m}\n`);
    },
  });
  process.stdout.write(`done ${report.tasksSkipped} ${report.progress.tasksTotal}\n`);
}

if (process.argv[2]) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
