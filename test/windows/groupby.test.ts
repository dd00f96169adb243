import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fc from "fast-check";
import { compute, plan, toZarr } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { LazyArray } from "../../src/api/lazy-array.js";
import { SEASONS } from "../../src/api/groupby.js";
import type { Progress } from "../../src/exec/executor.js";
import { totalTasks } from "../../src/plan/plan.js";
import { assertClose, python, tempDir } from "../helpers.js";
import { closeEnough, refReducers } from "../engine/reference.js";
import { randomValues } from "./oracle.js";

const FNS = ["mean", "sum", "min", "max", "std", "count", "median"];
const KEYS = ["time.month", "time.season", "time.dayofyear"];
const CALENDARS = ["standard", "noleap", "360_day"];

/** Writes a small daily CF dataset per calendar with xarray and returns xarray's groupby results on it. */
function writeAndReduce(dir: string): Record<string, (number | string | null)[]> {
  return python(`
out = {}
def clean(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return [None if np.isnan(x) else float(x) for x in a.ravel()]
    return [x if isinstance(x, str) else int(x) for x in a.ravel().tolist()]
for cal in ${JSON.stringify(CALENDARS)}:
    times = xr.cftime_range("2001-03-05", periods=800, freq="D", calendar=cal)
    rng = np.random.default_rng(7)
    data = rng.normal(10, 3, size=(800, 3, 4))
    data[rng.random(data.shape) < 0.05] = np.nan
    ds = xr.Dataset({"t": (("time", "lat", "lon"), data.astype("float32"))},
                    coords={"time": times, "lat": [10.0, 20.0, 30.0], "lon": [0.0, 1.0, 2.0, 3.0]})
    path = "${dir}/" + cal + ".nc"
    ds.to_netcdf(path, encoding={"t": {"chunksizes": (10, 3, 2)}, "time": {"units": "days since 2000-01-01", "calendar": cal}})
    t = xr.open_dataset(path, use_cftime=True).t
    for key in ${JSON.stringify(KEYS)}:
        g = t.groupby(key)
        for fn in ${JSON.stringify(FNS)}:
            r = getattr(g, fn)()
            out[f"{cal} {key} {fn}"] = clean(r.transpose(key.split(".")[1], "lat", "lon"))
        out[f"{cal} {key} coord"] = clean(r[key.split(".")[1]])
    out[f"{cal} anomaly"] = clean(t.groupby("time.month") - t.groupby("time.month").mean())
    out[f"{cal} anomaly_season"] = clean(t.groupby("time.season") / t.groupby("time.season").max())
print(json.dumps(out))
`);
}

test("groupby month/season/dayofyear and the monthly anomaly equal xarray in standard, noleap and 360_day calendars", async (t) => {
  const dir = tempDir(t);
  const want = writeAndReduce(dir);
  for (const calendar of CALENDARS) {
    const { vars } = await openDataset(path.join(dir, `${calendar}.nc`));
    const temp = vars.t;
    assert.equal(temp.coords.time.time?.calendar, calendar === "standard" ? "standard" : calendar);
    const arrays: LazyArray[] = [];
    const keys: string[] = [];
    for (const key of KEYS) {
      const g = temp.groupby(key);
      for (const fn of FNS) {
        arrays.push(g.reduce(fn));
        keys.push(`${calendar} ${key} ${fn}`);
      }
    }
    const month = temp.groupby("time.month");
    const season = temp.groupby("time.season");
    arrays.push(month.sub(month.mean()), season.div(season.max()));
    keys.push(`${calendar} anomaly`, `${calendar} anomaly_season`);
    const got = await compute(arrays, { executor: "inline", memory: "64MB" });
    got.forEach((g, i) => {
      const key = keys[i];
      assertClose(g.data, want[key] as (number | null)[], 1e-5, 1e-5, key);
      if (key.includes("anomaly")) {
        assert.deepEqual(g.dims, ["time", "lat", "lon"]);
        return;
      }
      const field = key.split(" ")[1].split(".")[1];
      assert.deepEqual(g.dims, [field, "lat", "lon"], key);
      const coord = want[`${calendar} time.${field} coord`];
      const labels =
        field === "season"
          ? Array.from(g.coords.season.values, (v) => SEASONS[v])
          : Array.from(g.coords[field].values);
      assert.deepEqual(labels, coord, `${key} coordinate`);
    });
  }
});

test("the anomaly keeps the array's dims and output chunks, and plans within a budget smaller than the array", () => {
  const [T, Y, X] = [3650, 60, 80];
  const days = Float64Array.from({ length: T }, (_, i) => i * 86400);
  const a = fromArray(new Float32Array(T * Y * X), {
    shape: [T, Y, X],
    dims: ["time", "lat", "lon"],
    chunks: [10, Y, X],
  });
  const t = new LazyArray(
    a.built,
    {
      time: {
        dim: "time",
        values: days,
        attrs: {},
        time: { calendar: "noleap", units: "seconds since 1970-01-01" },
      },
    },
    {},
    "t",
  );
  const g = t.groupby("time.month");
  const anomaly = g.sub(g.mean());
  assert.deepEqual(anomaly.dims, ["time", "lat", "lon"]);
  const target = { kind: "zarr", url: "unused", path: "a", zarrFormat: 3 } as const;
  // the array is 70 MB; the budget is less
  const memory = 48 << 20;
  const p = plan([anomaly], [target], { memory, workers: 2 });
  assert.deepEqual(
    p.outputs[0].chunkShape,
    plan([t], [target], { memory, workers: 2 }).outputs[0].chunkShape,
  );
  assert.ok(p.memory.total <= memory, `total ${p.memory.total}`);
  assert.ok(p.memory.perTask < T * Y * X * 4, `per task ${p.memory.perTask}`);
});

test("a monthly anomaly runs to Zarr under a memory budget smaller than the array, and equals the reference", async (t) => {
  const [T, Y, X] = [730, 16, 16];
  const values = randomValues(T * Y * X, 21, 0.05);
  const days = Float64Array.from({ length: T }, (_, i) => i * 86400);
  const a = fromArray(values, {
    shape: [T, Y, X],
    dims: ["time", "lat", "lon"],
    chunks: [10, 16, 16],
  });
  const temp = new LazyArray(
    a.built,
    {
      time: {
        dim: "time",
        values: days,
        attrs: {},
        time: { calendar: "noleap", units: "days since 1970-01-01" },
      },
    },
    {},
    "t",
  );
  const g = temp.groupby("time.month");
  const anomaly = g.sub(g.mean()).rechunk({ time: 30 }).rename("anomaly");
  const memory = 1 << 20;
  assert.ok(values.byteLength > memory);
  const out = path.join(tempDir(t), "anomaly.zarr");
  const reports: Progress[] = [];
  const { plan: p } = await toZarr(anomaly, out, {
    memory,
    executor: "inline",
    onProgress: (r) => reports.push(r),
  });
  assert.ok(p.memory.total <= memory, `planned ${p.memory.total}`);
  // the climatology is computed first, its progress labelled; the output's is not
  const first = reports.filter((r) => r.stage);
  assert.ok(
    first.length > 0 &&
      first.every((r) => r.stage === "computing shared result 1 of 1 first (used by every block)"),
    JSON.stringify(first.slice(0, 2)),
  );
  assert.equal(
    reports.indexOf(first[first.length - 1]),
    first.length - 1,
    "the labelled part comes first",
  );
  assert.equal(reports[reports.length - 1].stage, undefined);
  assert.equal(reports[reports.length - 1].tasksDone, totalTasks(p));
  const { vars } = await openDataset(out);
  const [got] = await compute([vars.anomaly], { executor: "inline", memory: "64MB" });
  // the reference: per month (noleap calendar) and cell, the mean of the valid values
  const monthOf = Array.from({ length: T }, (_, i) => {
    const doy = i % 365;
    const ends = [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
    return ends.findIndex((e) => doy < e);
  });
  const want = new Float64Array(T * Y * X);
  for (let c = 0; c < Y * X; c++)
    for (let m = 0; m < 12; m++) {
      const v: number[] = [];
      for (let i = 0; i < T; i++) if (monthOf[i] === m) v.push(values[i * Y * X + c]);
      const mean = refReducers.mean(v, []);
      for (let i = 0; i < T; i++)
        if (monthOf[i] === m) want[i * Y * X + c] = values[i * Y * X + c] - mean;
    }
  assert.equal(closeEnough(got.data, want, 1e-9), undefined);
});

/** Group values by label and reduce plainly: the reference for property tests. */
function refGroups(values: Float64Array, shape: number[], labels: number[], fn: string) {
  const groups = [...new Set(labels)].sort((x, y) => x - y);
  const [T, X] = shape;
  const reduced = new Float64Array(groups.length * X);
  groups.forEach((gv, g) => {
    for (let x = 0; x < X; x++) {
      const v: number[] = [];
      for (let t = 0; t < T; t++) if (labels[t] === gv) v.push(values[t * X + x]);
      reduced[g * X + x] = refReducers[fn](v, []);
    }
  });
  const anomaly = new Float64Array(T * X);
  for (let t = 0; t < T; t++)
    for (let x = 0; x < X; x++)
      anomaly[t * X + x] = values[t * X + x] - reduced[groups.indexOf(labels[t]) * X + x];
  return { groups, reduced, anomaly };
}

test("groupby reductions and group arithmetic equal the naive reference across chunkings, budgets and scattered groups", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom("periodic", "scattered", "blocks"),
      fc.constantFrom(...FNS),
      fc.integer({ min: 0, max: 10000 }),
      fc.constantFrom(60_000, 300_000, 10_000_000),
      async (T, X, G, pattern, fn, seed, memory) => {
        const values = randomValues(T * X, seed, 0.15);
        const labels = Array.from({ length: T }, (_, t) =>
          pattern === "periodic"
            ? (t % G) * 10
            : pattern === "blocks"
              ? Math.floor((t * G) / T)
              : Math.floor(randomValues(1, seed + t, 0)[0] + 10) % G,
        );
        const a = fromArray(values, {
          shape: [T, X],
          dims: ["time", "x"],
          chunks: [1 + (seed % T), 1 + (seed % X)],
          coords: { time: Float64Array.from(labels) },
        });
        const g = a.groupby("time");
        const reduced = g.reduce(fn);
        const [got, anomaly] = await compute([reduced, g.sub(reduced)], {
          executor: "inline",
          memory,
        });
        const want = refGroups(values, [T, X], labels, fn);
        assert.deepEqual(Array.from(got.coords.time.values), want.groups);
        assert.equal(
          closeEnough(got.data, want.reduced, 1e-9),
          undefined,
          `${fn} ${pattern}: ${closeEnough(got.data, want.reduced, 1e-9)}`,
        );
        assert.equal(
          closeEnough(anomaly.data, want.anomaly, 1e-9),
          undefined,
          `anomaly ${fn} ${pattern}`,
        );
      },
    ),
    { numRuns: 120 },
  );
});

test("groupbyBins gives every bin, empty ones NaN, as xarray", async () => {
  const x = Float64Array.from([0.5, 1.5, 2.5, 7, 8, 9]);
  const a = fromArray(Float64Array.from([0, 1, 2, 3, 4, 5]), {
    shape: [6],
    dims: ["x"],
    coords: { x },
  });
  const want = python<Record<string, (number | null)[]>>(`
a = xr.DataArray(np.arange(6.0), dims="x", coords={"x": ${JSON.stringify(Array.from(x))}})
g = a.groupby_bins("x", [0, 2, 4, 6, 10])
print(json.dumps({k: [None if np.isnan(v) else float(v) for v in getattr(g, k)().values] for k in ["mean", "sum", "count", "max"]}))
`);
  const g = a.groupbyBins("x", [0, 2, 4, 6, 10]);
  const got = await compute([g.mean(), g.sum(), g.count(), g.max()], { executor: "inline" });
  ["mean", "sum", "count", "max"].forEach((fn, i) =>
    assertClose(got[i].data, want[fn], 1e-12, 0, fn),
  );
  assert.deepEqual(got[0].dims, ["x_bins"]);
  assert.deepEqual(got[0].coords.x_bins.attrs.labels, ["(0, 2]", "(2, 4]", "(4, 6]", "(6, 10]"]);
});
