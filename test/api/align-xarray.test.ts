import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { load } from "../../src/api/compute.js";
import { evaluateExpression, type ExpressionScope } from "../../src/api/expression.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { openDataset, type LazyDataset } from "../../src/api/open-dataset.js";
import { slice } from "../../src/api/selection.js";
import { formatTime } from "../../src/dataset/calendar.js";
import { DaeError } from "../../src/util/errors.js";
import { assertClose, PYTHON, tempDir } from "../helpers.js";
import type { ExpressionCase } from "../oracles/fixture-cases.js";
import type { OracleArray } from "../oracles/xarray-eval.js";

/**
 * An expression over the grids test/oracles/aligned_grids.py writes, and xarray's. `refuse`:
 * we refuse it with an error matching this (xarray refuses it too, unless `xarrayEmpty`: xarray
 * returns an empty array where we name the dimension without common labels).
 */
interface Case extends ExpressionCase {
  /** Computed with the library instead of the expression `dae` (which then only names it). */
  api?: (scope: Record<string, LazyDataset>) => LazyArray;
  refuse?: RegExp;
  xarrayEmpty?: boolean;
}

/** The grid's longitudes 0…350 moved to -180…170, in the file's order. */
const shiftedLon = Array.from({ length: 36 }, (_, i) => ((i * 10 + 180) % 360) - 180);

const cases: Case[] = [
  // the case: a land mask whose latitude runs north to south, into a field south to north
  { dae: "(g.tas * m.land).mean()", xarray: "(g.tas * m.land).mean()" },
  { dae: "g.tas * m.land", xarray: "g.tas * m.land" },
  { dae: "m.land * g.tas", xarray: "m.land * g.tas" },
  {
    dae: 'g.tas.where(m.land == 1).mean(["lat", "lon"])',
    xarray: 'g.tas.where(m.land == 1).mean(["lat", "lon"])',
  },
  // an offset, shorter latitude; a partial grid; permuted labels on both dims
  { dae: "g.tas - o.land_off", xarray: "g.tas - o.land_off" },
  { dae: '(g.tas + p.part).mean("time")', xarray: '(g.tas + p.part).mean("time")' },
  { dae: "g.tas * q.perm", xarray: "g.tas * q.perm" },
  { dae: "q.perm - m.land", xarray: "q.perm - m.land" },
  // times: later days, other units
  { dae: "g.tas - b.bias", xarray: "g.tas - b.bias" },
  { dae: "na.x + nb.y", xarray: "na.x + nb.y" },
  // fillna keeps the array's labels (left join); minimum/maximum and comparisons join inner
  { dae: "g.tas.fillna(o.land_off)", xarray: "g.tas.fillna(o.land_off)" },
  { dae: "minimum(g.tas, o.land_off * 300)", xarray: "np.minimum(g.tas, o.land_off * 300)" },
  { dae: "maximum(p.part, q.perm)", xarray: "np.maximum(p.part, q.perm)" },
  { dae: "g.tas > q.perm * 300", xarray: "g.tas > q.perm * 300" },
  // group arithmetic: a climatology of the latitude-reversed copy, back onto the field
  {
    dae: 'g.tas.groupby("time.month") - m.tas_rev.groupby("time.month").mean()',
    xarray: 'g.tas.groupby("time.month") - m.tas_rev.groupby("time.month").mean()',
    atol: 1e-4,
  },
  // align with each join; outer/left/right fill with NaN, integers become float64
  {
    dae: 'align(o.land_off, p.part, {join: "outer"})[0]',
    xarray: 'xr.align(o.land_off, p.part, join="outer")[0]',
  },
  {
    dae: 'align(o.land_off, p.part, {join: "outer"})[1]',
    xarray: 'xr.align(o.land_off, p.part, join="outer")[1]',
  },
  {
    dae: 'align(m.land, p.part, {join: "left"})[1]',
    xarray: 'xr.align(m.land, p.part, join="left")[1]',
  },
  {
    dae: 'align(p.part, m.land, {join: "right"})[1]',
    xarray: 'xr.align(p.part, m.land, join="right")[1]',
  },
  {
    dae: 'align(p.part, m.land, {join: "outer"})[1]',
    xarray: 'xr.align(p.part, m.land, join="outer")[1]',
  },
  {
    dae: "align(q.perm, m.land, o.land_off)[1]",
    xarray: "xr.align(q.perm, m.land, o.land_off)[1]",
  },
  {
    dae: 'align(b.bias, g.tas, {join: "outer"})[1].isel({lat: 3, lon: 4})',
    xarray: 'xr.align(b.bias, g.tas, join="outer")[1].isel(lat=3, lon=4)',
  },
  // roll, sortby, assignCoords
  { dae: "g.tas.roll({lon: 5})", xarray: "g.tas.roll(lon=5)" },
  {
    dae: "g.tas.roll({lon: -7, time: 3, rollCoords: true})",
    xarray: "g.tas.roll(lon=-7, time=3, roll_coords=True)",
  },
  { dae: 'g.tas.sortby("lat", false)', xarray: 'g.tas.sortby("lat", ascending=False)' },
  { dae: 'q.perm.sortby(["lat", "lon"])', xarray: 'q.perm.sortby(["lat", "lon"])' },
  { dae: 'm.land.sortby("lat") - g.tas', xarray: 'm.land.sortby("lat") - g.tas' },
  // a region across 0° once longitudes run -180…180, with labels as a list and as a function
  {
    dae: `g.tas.assignCoords({lon: [${shiftedLon.join(", ")}]}).sortby("lon").sel({lon: slice(-20, 20)})`,
    xarray:
      'g.tas.assign_coords(lon=((g.tas.lon + 180) % 360) - 180).sortby("lon").sel(lon=slice(-20, 20))',
  },
  {
    dae: "(the same through the library, labels by a function)",
    api: (s) =>
      s.g.vars.tas
        .assignCoords({ lon: (lon) => lon.map((x) => ((x + 180) % 360) - 180) })
        .sortby("lon")
        .sel({ lon: slice(-20, 20) })
        .mean(["time", "lat"]),
    xarray:
      'g.tas.assign_coords(lon=((g.tas.lon + 180) % 360) - 180).sortby("lon").sel(lon=slice(-20, 20)).mean(["time", "lat"])',
  },
  // refusals, each naming the dimension and both ranges
  {
    dae: 'align(o.land_off, p.part, {join: "exact"})[0]',
    xarray: 'xr.align(o.land_off, p.part, join="exact")[0]',
    refuse:
      /dimension "lat" has different labels in land_off \(lat 80…-60, 15 labels\) and part \(lat -30…30, 7 labels\)/,
  },
  {
    dae: "where(m.land == 1, g.tas, 0)",
    xarray: "xr.where(m.land == 1, g.tas, 0)",
    refuse: /dimension "lat" has different labels/,
  },
  {
    dae: "g.tas.where(m.land == 1, 0)",
    xarray: "g.tas.where(m.land == 1, 0)",
    refuse: /dimension "lat" has different labels/,
  },
  {
    dae: "p.part.isel({lat: slice(0, 2)}) + p.part.isel({lat: slice(3, 5)})",
    xarray: "p.part.isel(lat=slice(0, 2)) + p.part.isel(lat=slice(3, 5))",
    refuse:
      /dimension "lat" has no label in common between part \(lat -30…-20, 2 labels\) and part \(lat 0…10, 2 labels\)/,
    xarrayEmpty: true,
  },
];

/** A coordinate as the oracle writes it: numbers, or times as ISO strings. */
function coordJson(c: { values: Float64Array; time?: { calendar: string } }): (number | string)[] {
  const t = c.time;
  return Array.from(c.values, (v) =>
    t ? formatTime(v, t.calendar as Parameters<typeof formatTime>[1]) : v,
  );
}

test("arrays combine by coordinate labels as in xarray: reversed, offset, partial and permuted grids, times, every join", async (t) => {
  const dir = tempDir(t, "dae-align-");
  const script = path.resolve(process.cwd(), "test", "oracles", "aligned_grids.py");
  const want = JSON.parse(
    execFileSync(PYTHON, [script], {
      input: JSON.stringify({ dir, exprs: cases.map((c) => c.xarray) }),
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  ) as (OracleArray | { error: string })[];
  const scope: ExpressionScope = {};
  for (const [name, file] of Object.entries({
    g: "grid.nc",
    m: "mask.zarr",
    o: "off.zarr",
    p: "part.zarr",
    q: "perm.zarr",
    b: "bias.nc",
    na: "nl_a.nc",
    nb: "nl_b.nc",
  }))
    scope[name] = await openDataset(path.join(dir, file));
  for (const [k, c] of cases.entries()) {
    const w = want[k];
    if (c.refuse) {
      if (c.xarrayEmpty) assert.ok("shape" in w && w.shape.includes(0), `${c.xarray}: empty`);
      else assert.ok("error" in w, `${c.xarray}: xarray refuses it too`);
      assert.throws(
        () => evaluateExpression(c.dae, scope),
        (e) => e instanceof DaeError && c.refuse!.test(e.message) && !e.message.includes("\n"),
        c.dae,
      );
      continue;
    }
    assert.ok(!("error" in w), `${c.xarray}: ${"error" in w ? w.error : ""}`);
    const array = c.api
      ? c.api(scope as Record<string, LazyDataset>)
      : evaluateExpression(c.dae, scope);
    const got = await load(array, { executor: "inline" });
    assert.deepEqual(got.dims, w.dims, c.dae);
    assert.deepEqual(got.shape, w.shape, c.dae);
    assert.equal(got.dtype, w.dtype, c.dae);
    const data = Array.from(got.data as ArrayLike<number>, (v) =>
      w.dtype === "bool" ? v !== 0 : v,
    );
    if (w.dtype === "bool") assert.deepEqual(data, w.data, c.dae);
    else
      assertClose(
        got.data as ArrayLike<number>,
        w.data as (number | null)[],
        1e-5,
        c.atol ?? 0,
        c.dae,
      );
    for (const d of Object.keys(w.coords))
      assert.deepEqual(coordJson(got.coords[d]), w.coords[d], `${c.dae}: coordinate ${d}`);
  }
  t.diagnostic(
    `${cases.length} expressions equal xarray's (or are refused as xarray refuses them)`,
  );
});
