import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "../../src/api/compute.js";
import { evaluateExpression, type ExpressionScope } from "../../src/api/expression.js";
import { coordLabels } from "../../src/api/coords.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { slice } from "../../src/api/selection.js";
import { formatTime } from "../../src/dataset/calendar.js";
import { DaeError } from "../../src/util/errors.js";
import { assertClose, tempDir } from "../helpers.js";
import { xarrayEval, type OracleInput } from "../oracles/xarray-eval.js";

/** Daily data 2001-01-01 … 2004-02-28 in every calendar we decode, and 6-hourly data; one python process. */
const CALENDARS = {
  std: "standard",
  pro: "proleptic_gregorian",
  noleap: "noleap",
  allleap: "all_leap",
  d360: "360_day",
} as const;

const setup = (dir: string) => `
import numpy as np, pandas as pd, xarray as xr
rng = np.random.default_rng(21)
lat = [60.0, 0.0, -60.0]
lon = [0.0, 90.0, 180.0, 270.0]
for name, cal in ${JSON.stringify(CALENDARS)}.items():
    time = xr.cftime_range("2001-01-01", "2004-02-28", freq="D", calendar=cal)
    data = rng.normal(280, 10, (len(time), 3, 4)).astype("float32")
    ds = xr.Dataset({"t": (("time", "lat", "lon"), data)}, coords={"time": time, "lat": lat, "lon": lon})
    ds.to_netcdf("${dir}/" + name + ".nc", encoding={"time": {"units": "days since 2000-01-01", "calendar": cal}})
time = pd.date_range("2002-01-01", periods=40, freq="6H")
ds = xr.Dataset({"t": (("time", "lat"), rng.normal(0, 1, (40, 3)))}, coords={"time": time, "lat": lat})
ds.to_netcdf("${dir}/h6.nc", encoding={"time": {"units": "hours since 2002-01-01"}})
`;

/** [dae, xarray] for each calendar's file: partial dates, slices of them, one day. */
const perCalendar = (n: string): [string, string][] => [
  [`${n}.t.sel({time: "2003"}).mean("time")`, `${n}.t.sel(time="2003").mean("time")`],
  [`${n}.t.sel({time: "2003-07"}).mean("time")`, `${n}.t.sel(time="2003-07").mean("time")`],
  [`${n}.t.sel({time: "2002-02"}).max("time")`, `${n}.t.sel(time="2002-02").max("time")`],
  [`${n}.t.sel({time: "2003-07-15"})`, `${n}.t.sel(time="2003-07-15")`],
  [
    `${n}.t.sel({time: slice("2002-03", "2002-05")}).mean("time")`,
    `${n}.t.sel(time=slice("2002-03", "2002-05")).mean("time")`,
  ],
  [
    `${n}.t.sel({time: slice("2002-12", "2003-02")}).sum("time")`,
    `${n}.t.sel(time=slice("2002-12", "2003-02")).sum("time")`,
  ],
  [
    `${n}.t.sel({time: slice(null, "2001-02-10"), lat: slice(60, 0)}).mean("time")`,
    `${n}.t.sel(time=slice(None, "2001-02-10"), lat=slice(60, 0)).mean("time")`,
  ],
  [
    `${n}.t.sel({time: slice("2004", null), lon: [270, 0]}).mean("time")`,
    `${n}.t.sel(time=slice("2004", None), lon=[270, 0]).mean("time")`,
  ],
  [
    `${n}.t.sel({time: "2002-06-15T07"}, {method: "nearest"})`,
    // xarray's cftime index takes dates, not strings, with a method
    n === "std" || n === "pro"
      ? `${n}.t.sel(time="2002-06-15T07", method="nearest")`
      : `${n}.t.sel(time=type(${n}.time.values[0])(2002, 6, 15, 7), method="nearest")`,
  ],
];

/**
 * Time fields as arrays, masks from coordinates, where(drop), seasons as labels: the same
 * Python text for both (keyword arguments, == on labels).
 */
const fields = (n: string): [string, string][] =>
  [
    `${n}.t.sel(time=${n}.t.time.dt.season == "JJA").mean("time")`,
    `${n}.t.isel(time=(${n}.t.time.dt.month >= 6) & (${n}.t.time.dt.month <= 8)).max("time")`,
    `${n}.t.where(${n}.t.time.dt.dayofyear == 60, drop=True)`,
    `${n}.t.where((${n}.t.lat < 30) & (${n}.t.lon > 100), drop=True).mean("time")`,
    `${n}.t.where(${n}.t.lon > 100).isel(time=slice(0, 2))`,
    `${n}.t.groupby("time.season").mean()`,
    `${n}.t.groupby("time.season").max().sel(season="SON")`,
    `${n}.t.time.dt.year * 1000 + ${n}.t.time.dt.dayofyear`,
    `${n}.t.time.dt.day + ${n}.t.time.dt.dayofweek * 100`,
  ].map((e) => [e, e]);

/** Labels, lists, methods and positions, on the standard and the 6-hourly files. */
const others: [string, string][] = [
  [
    'std.t.sel({time: ["2003-07-15", "2001-01-01", "2003-07-16"]})',
    'std.t.sel(time=["2003-07-15", "2001-01-01", "2003-07-16"])',
  ],
  [
    'std.t.sel({lat: 30}, {method: "nearest"}).mean("time")',
    'std.t.sel(lat=30, method="nearest").mean("time")',
  ],
  [
    'std.t.sel({lat: 40}, {method: "pad"}).mean("time")',
    'std.t.sel(lat=40, method="pad").mean("time")',
  ],
  [
    'std.t.sel({lat: 40}, {method: "bfill"}).mean("time")',
    'std.t.sel(lat=40, method="bfill").mean("time")',
  ],
  [
    'std.t.sel({lon: [10, 260, 100]}, {method: "nearest", tolerance: 15}).mean("time")',
    'std.t.sel(lon=[10, 260, 100], method="nearest", tolerance=15).mean("time")',
  ],
  ['std.t.sel({lat: slice(0, -90)}).mean("time")', 'std.t.sel(lat=slice(0, -90)).mean("time")'],
  ["std.t.isel({time: [0, -1, 5, 5], lon: [3, 1]})", "std.t.isel(time=[0, -1, 5, 5], lon=[3, 1])"],
  [
    "std.t.isel({lat: [true, false, true], time: slice(-3, null)})",
    "std.t.isel(lat=np.array([True, False, True]), time=slice(-3, None))",
  ],
  ['std.t.isel({time: [10, 4, 7]}).mean("lon")', 'std.t.isel(time=[10, 4, 7]).mean("lon")'],
  ['h6.t.sel({time: "2002-01-03"})', 'h6.t.sel(time="2002-01-03")'],
  ["h6.t.sel(time=h6.t.time.dt.hour == 12)", "h6.t.sel(time=h6.t.time.dt.hour == 12)"],
  ['h6.t.sel({time: "2002-01-03T06"})', 'h6.t.sel(time="2002-01-03T06")'],
  [
    'h6.t.sel({time: "2002-01-03T05"}, {method: "nearest", tolerance: "1H"})',
    'h6.t.sel(time="2002-01-03T05", method="nearest", tolerance="1H")',
  ],
  [
    'h6.t.sel({time: slice("2002-01-02T12", "2002-01-03")})',
    'h6.t.sel(time=slice("2002-01-02T12", "2002-01-03"))',
  ],
];

test("sel, isel and where(drop) give xarray's answers in every calendar: partial dates, slices of them, lists, nearest/pad/backfill, masks from time fields, seasons", async (t) => {
  const dir = tempDir(t);
  const inputs: OracleInput[] = [
    ...Object.keys(CALENDARS).map((name) => ({ name, path: `${dir}/${name}.nc` })),
    { name: "h6", path: `${dir}/h6.nc` },
  ];
  const cases = [
    ...Object.keys(CALENDARS).flatMap(perCalendar),
    ...["std", "noleap", "d360"].flatMap(fields),
    ...others,
  ];
  const want = xarrayEval(
    inputs,
    cases.map(([, x]) => x),
    setup(dir),
  );
  const scope: ExpressionScope = {};
  for (const i of inputs) scope[i.name!] = await openDataset(i.path);
  for (const [k, [expr]] of cases.entries()) {
    const got = await load(evaluateExpression(expr, scope), {
      // the gathers through the thread pool too (their index lists cross to workers)
      executor: expr.includes("[0, -1, 5, 5]") ? "threads" : "inline",
    });
    assert.deepEqual(got.dims, want[k].dims, expr);
    assert.deepEqual(got.shape, want[k].shape, expr);
    assertClose(got.data as ArrayLike<number>, want[k].data as (number | null)[], 1e-5, 0, expr);
    for (const [d, values] of Object.entries(want[k].coords)) {
      const c = got.coords[d];
      const shown = c.time
        ? Array.from(c.values, (v) => formatTime(v, c.time!.calendar))
        : (coordLabels(c) ?? Array.from(c.values));
      assert.deepEqual(shown, values, `${expr}: coordinate ${d}`);
    }
  }
  t.diagnostic(`${cases.length} selections equal xarray's`);
});

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DaeError, (e as Error).stack);
    assert.equal(e.message.split("\n").length, 1, e.message);
    return e.message;
  }
  return assert.fail("no error");
}

test("a selection that leaves a dimension empty, a missing label or one beyond the tolerance is a one-line error", () => {
  const a = fromArray(new Float64Array(24 * 3), {
    shape: [24, 3],
    dims: ["time", "lat"],
    name: "a",
    coords: { lat: Float64Array.from([90, 0, -90]) },
  });
  const t = a.sel({ lat: slice(90, 0) });
  assert.deepEqual(t.shape, [24, 2]);
  assert.match(
    errorOf(() => a.sel({ lat: slice(0, 90) })),
    /^sel: slice\(0, 90\) leaves dimension "lat" empty \(its labels run 90 … -90\); pass allowEmpty to allow it$/,
  );
  assert.deepEqual(a.sel({ lat: slice(0, 90) }, { allowEmpty: true }).shape, [24, 0]);
  assert.match(
    errorOf(() => a.sel({ lat: 45 })),
    /no label 45 on dimension "lat" \(use method "nearest"/,
  );
  assert.match(
    errorOf(() => a.sel({ lat: 50 }, { method: "nearest", tolerance: 10 })),
    /no label 50 on dimension "lat" within 10 \(method "nearest"\); its labels run 90 … -90/,
  );
  assert.match(
    errorOf(() => a.isel({ time: slice(30, 40) })),
    /leaves dimension "time" empty \(its indices run 0…23\)/,
  );
  assert.match(
    errorOf(() => a.isel({ time: [1, 24] })),
    /index 24 is out of range for dimension "time" of length 24/,
  );
  assert.match(
    errorOf(() => a.isel({ lat: [true, false] })),
    /boolean mask of length 2 on dimension "lat" of length 3/,
  );
  assert.match(
    errorOf(() => a.sel({ time: "2003" })),
    /dimension "time" has no coordinate; use isel/,
  );
  assert.match(
    errorOf(() => a.isel({ lat: a.isel({ time: 0 }).gt(0) })),
    /is not in memory: compute it first/,
  );
  // an in-memory condition false everywhere drops everything
  assert.deepEqual(a.where(a.gt(0), NaN, { drop: true }).shape, [0, 0]);
  assert.deepEqual(a.where(a.coord("lat").gt(0), NaN, { drop: true }).shape, [24, 1]);
  assert.match(
    errorOf(() => a.coord("lat").dt),
    /^dt: lat is not a time coordinate/,
  );
  assert.match(
    errorOf(() => a.coord("lat").eq("JJA")),
    /^eq: lat holds numbers, not labels to compare with "JJA"$/,
  );
});
