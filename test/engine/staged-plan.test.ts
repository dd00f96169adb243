import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { toZarr, type RunReport } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { LazyArray } from "../../src/api/lazy-array.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { dae, tempDir } from "../helpers.js";

/** Per stage, what `dae plan` printed: the stage's label, tasks and decodes. */
interface PrintedStage {
  label: string;
  tasks: number;
  decodes: number;
}

/** The stages of `dae plan`'s text (one stage: a plan without a stage header). */
function printedStages(text: string): PrintedStage[] {
  const parts = text.split(/^stage \d+ of \d+: /m);
  const bodies = parts.length === 1 ? [`the outputs\n${text}`] : parts.slice(1);
  return bodies.map((body) => {
    const label = body.slice(0, body.indexOf("\n")).replace(/ → .*$/, "");
    const tasks = /^\s*plan: (\d+) tasks? on/m.exec(body);
    assert.ok(tasks, body);
    const decodes = [...body.matchAll(/: (\d+) decodes of \d+ chunks/g)];
    return {
      label,
      tasks: Number(tasks[1]),
      decodes: decodes.reduce((s, m) => s + Number(m[1]), 0),
    };
  });
}

/** What the run did per stage, in the terms of the printed plan. */
function ranStages(report: RunReport): PrintedStage[] {
  return report.stages.map((s) => ({
    label: s.label ?? "the outputs",
    tasks: s.progress.tasksDone,
    decodes: s.progress.decodes,
  }));
}

const DECODE_SLACK = 1.05;

function comparePlanAndRun(printed: PrintedStage[], ran: PrintedStage[]): void {
  assert.deepEqual(
    ran.map((s) => [s.label, s.tasks]),
    printed.map((s) => [s.label, s.tasks]),
  );
  // a run decodes what its plan counted, never more (DESIGN.md §8, "Promises are checked"),
  // but for a few % of chunks its cache evicts before a later step reads them again
  printed.forEach((p, k) =>
    assert.ok(
      ran[k].decodes <= p.decodes * DECODE_SLACK && ran[k].decodes > 0,
      `stage ${k + 1} (${p.label}): ran ${ran[k].decodes} decodes, planned ${p.decodes}`,
    ),
  );
}

test("dae plan prints both stages of a staged rechunk, and the run does what it printed, stage by stage", async (t) => {
  const dir = tempDir(t);
  const src = path.join(dir, "src.zarr");
  const shape = [40, 24, 30];
  const data = Float32Array.from({ length: 40 * 24 * 30 }, (_, i) => Math.sin(i * 0.01) * 100);
  const a = fromArray(data, {
    shape,
    dims: ["time", "lat", "lon"],
    chunks: [2, 24, 30],
    name: "t",
  });
  await toZarr(a.rechunk({ time: 2, lat: 24, lon: 30 }), src, { executor: "inline" });
  const expr = "t.rechunk({time: 40, lat: 3, lon: 3})";
  const out = path.join(dir, "out.zarr");
  const options = ["--memory", "96KB", "--workers", "1", "--executor", "inline"];
  const r = dae(["plan", "-i", src, "-e", expr, "-o", out, ...options]);
  assert.equal(r.code, 0, r.stderr);
  const printed = printedStages(r.stdout);
  assert.deepEqual(
    printed.map((s) => s.label.replace(/\d+×\d+×\d+/, "C")),
    ["rechunking t to C first (an intermediate store)", "the outputs"],
    r.stdout,
  );
  const { vars } = await openDataset(src);
  const report = await toZarr(evaluateExpression(expr, vars), out, {
    memory: "96KB",
    workers: 1,
    executor: "inline",
  });
  comparePlanAndRun(printed, ranStages(report));
});

test("dae plan prints the climatology of a monthly anomaly as a stage of its own, and the run does what it printed", async (t) => {
  const dir = tempDir(t);
  const src = path.join(dir, "daily.zarr");
  const [T, Y, X] = [730, 16, 16];
  const values = Float32Array.from({ length: T * Y * X }, (_, i) => Math.cos(i * 0.003) * 10);
  const days = Float64Array.from({ length: T }, (_, i) => i * 86400);
  const a = fromArray(values, {
    shape: [T, Y, X],
    dims: ["time", "lat", "lon"],
    chunks: [10, 16, 16],
  });
  const time = {
    dim: "time",
    values: days,
    attrs: {},
    time: { calendar: "noleap" as const, units: "days since 1970-01-01" },
  };
  await toZarr(new LazyArray(a.built, { time }, {}, "t").rechunk({ time: 10 }), src, {
    executor: "inline",
  });
  const expr = '(t.groupby("time.month") - t.groupby("time.month").mean()).rechunk({time: 30})';
  const out = path.join(dir, "anomaly.zarr");
  const options = ["--memory", "1MB", "--workers", "1", "--executor", "inline"];
  const r = dae(["plan", "-i", src, "-e", expr, "-o", out, ...options]);
  assert.equal(r.code, 0, r.stderr);
  const printed = printedStages(r.stdout);
  assert.deepEqual(
    printed.map((s) => s.label),
    ["computing shared result 1 of 1 first (used by every block)", "the outputs"],
    r.stdout,
  );
  assert.match(r.stdout, /^ {2}output shared_0 \(month×lat×lon = 12×16×16, float32\)/m);
  const { vars } = await openDataset(src);
  const report = await toZarr(evaluateExpression(expr, vars), out, {
    memory: "1MB",
    workers: 1,
    executor: "inline",
  });
  comparePlanAndRun(printed, ranStages(report));
  // --json holds the same stages
  const json = JSON.parse(
    dae(["plan", "-i", src, "-e", expr, "-o", out, "--json", ...options]).stdout,
  );
  assert.deepEqual(
    json.stages.map((s: { label?: string; tasks: number }) => [s.label ?? "the outputs", s.tasks]),
    printed.map((s) => [s.label, s.tasks]),
  );
  assert.equal(json.tasks, printed[1].tasks);
});
