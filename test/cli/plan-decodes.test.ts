import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { dae, fixture, fixturesDir, tempDir } from "../helpers.js";

/** Decodes `dae plan --json` projects and decodes `dae run --progress json` counts, for one expression. */
function planned(expr: string, workers: number, out: string) {
  const args = [
    "-i",
    `a=${fixturesDir}/eraint_uvz.zarr`,
    "-i",
    `b=${fixturesDir}/eraint_uvz_nc4.nc`,
    "-e",
    expr,
    "-o",
    out,
    "--memory",
    "256MB",
    "--workers",
    String(workers),
  ];
  const p = dae(["plan", ...args, "--json"]);
  assert.equal(p.code, 0, p.stderr);
  const plan = JSON.parse(p.stdout);
  const r = dae(["run", ...args, "--progress", "json", "--overwrite"]);
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stderr.trim().split("\n").pop()!);
  return {
    projected: plan.decodes.reduce((s: number, d: { decodes: number }) => s + d.decodes, 0),
    counted: last.decodes,
    tasks: [plan.tasks, last.tasksTotal],
  };
}

test("dae plan's decode counts are the decodes the run makes (blocks across non-aligned chunks)", (t) => {
  if (!fixture(t, "eraint_uvz.zarr")) return;
  const out = path.join(tempDir(t), "d.zarr");
  for (const [expr, workers] of [
    ["a.z - b.z", 4],
    ['(a.z - b.z).mean("month")', 4],
    ['(a.z - b.z).mean("longitude")', 1],
  ] as const) {
    const { projected, counted, tasks } = planned(expr, workers, out);
    assert.equal(tasks[0], tasks[1], expr);
    assert.equal(projected, counted, `${expr} on ${workers} workers`);
  }
});

test("dae plan's decode counts include the parts of a split reduction", (t) => {
  if (!fixture(t, "eraint_uvz.zarr")) return;
  const { projected, counted } = planned(
    '(a.z - b.z).mean("longitude")',
    4,
    path.join(tempDir(t), "s.zarr"),
  );
  assert.equal(projected, counted);
});
