import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { dae, fixture, fixturesDir, tempDir } from "../helpers.js";

test("dae plan shows tasks, blocks, memory per task against the budget, decodes and fusion, running nothing", (t) => {
  if (!fixture(t, "eraint_uvz.zarr")) return;
  const out = path.join(tempDir(t), "never.zarr");
  const args = [
    "plan",
    "-i",
    `a=${fixturesDir}/eraint_uvz.zarr`,
    "-i",
    `b=${fixturesDir}/eraint_uvz_nc4.nc`,
    "-e",
    '(a.z - b.z).mean("longitude")',
    "-o",
    out,
    "--memory",
    "1GB",
    "--workers",
    "3",
  ];
  const r = dae(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^plan: \d+ tasks? on 3 workers$/m);
  assert.match(
    r.stdout,
    /^output z \(month×level×latitude = 2×3×241, float64\) → .*never\.zarr\/z \(Zarr v3\), chunks [\d×]+$/m,
  );
  assert.match(r.stdout, /^tasks for z: \d+, blocks of [\d×]+ \([\d×]+ blocks\)/m);
  assert.match(
    r.stdout,
    /^memory: [\d.]+ [KMG]?B per task \(chunk cache [\d.]+ [KMG]?B and scratch [\d.]+ [KMG]?B included\) × 3 workers = [\d.]+ [KMG]?B of the 1\.0 GB budget$/m,
  );
  assert.match(
    r.stdout,
    /^ {2}.*eraint_uvz\.zarr:z: \d+ decodes of 30 chunks \([\d.]+ per chunk\)$/m,
  );
  assert.match(
    r.stdout,
    /^ {2}.*eraint_uvz_nc4\.nc:z: \d+ decodes of 24 chunks \([\d.]+ per chunk\)$/m,
  );
  assert.match(r.stdout, /fused sub → mean per block/);
  assert.ok(!existsSync(out), "plan writes nothing");

  const json = dae([...args, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const p = JSON.parse(json.stdout);
  assert.equal(p.memory.budget, 1024 ** 3);
  assert.equal(p.memory.workers, 3);
  assert.ok(p.memory.perTask > 0 && p.memory.total <= p.memory.budget);
  assert.equal(
    p.tasks,
    p.groups.reduce((s: number, g: { tasks: number }) => s + g.tasks, 0),
  );
  assert.deepEqual(p.outputs[0].shape, [2, 3, 241]);
  assert.deepEqual(p.nodes, { source: 2, map: 1, reduce: 1 });
  // every chunk of each input is read at least once
  for (const d of p.decodes) assert.ok(d.decodes >= d.chunks && d.perChunk >= 1, JSON.stringify(d));
});

test("dae plan --print plans an in-memory result; a budget that cannot fit is an error before anything runs", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const r = dae([
    "plan",
    "-i",
    src,
    "-e",
    'z.sel({level: 500}).mean("month")',
    "--print",
    "--json",
    "--memory",
    "256MB",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.outputs[0].target, "memory");
  assert.equal(p.memory.held, 241 * 480 * 8);
  const tiny = dae(["plan", "-i", src, "-e", "z * 2", "--memory", "1KB"]);
  assert.equal(tiny.code, 1);
  assert.match(tiny.stderr, /^dae: .*budget.*\n$/);
});
