import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compute } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { assertClose, python, tempDir } from "../helpers.js";

const FNS = ["mean", "sum", "max", "count", "median", "std"];

/** Daily data (with a gap in the standard calendar) per calendar, written by xarray, and xarray's resampling of it. */
function writeAndResample(
  dir: string,
  cases: Record<string, string[]>,
): Record<string, (number | null)[]> {
  return python(`
import cftime
out = {}
def clean(a):
    a = np.asarray(a, dtype=float)
    return [None if np.isnan(x) else float(x) for x in a.ravel()]
def seconds(times):
    if np.issubdtype(times.dtype, np.datetime64):
        return clean((times.values - np.datetime64("1970-01-01")) / np.timedelta64(1, "s"))
    return clean(cftime.date2num(times.values, "seconds since 1970-01-01", calendar=times.values[0].calendar))
cases = ${JSON.stringify(cases)}
for cal, freqs in cases.items():
    times = xr.cftime_range("2000-11-20", periods=500, freq="D", calendar=cal)
    rng = np.random.default_rng(3)
    data = rng.normal(0, 1, size=(500, 2))
    data[rng.random(data.shape) < 0.05] = np.nan
    ds = xr.Dataset({"v": (("time", "x"), data)}, coords={"time": times, "x": [0.0, 1.0]})
    if cal == "standard":
        # a gap of 40 days: empty bins
        ds = ds.isel(time=np.r_[0:200, 240:500])
    path = "${dir}/" + cal + ".nc"
    ds.to_netcdf(path, encoding={"v": {"chunksizes": (30, 1)}, "time": {"units": "hours since 1999-01-01", "calendar": cal}})
    v = xr.open_dataset(path).v
    for freq in freqs:
        r = v.resample(time=freq)
        for fn in ${JSON.stringify(FNS)}:
            res = getattr(r, fn)()
            out[f"{cal} {freq} {fn}"] = clean(res)
        out[f"{cal} {freq} time"] = seconds(res.time)
print(json.dumps(out))
`);
}

test("resample D, 5D, W, MS, M, QS-DEC, YS, AS, A equals xarray (labels too) in standard, noleap and 360_day calendars", async (t) => {
  const dir = tempDir(t);
  const month = ["MS", "M", "QS-DEC", "YS", "AS", "A", "5D"];
  // xarray 2023.01 has no weekly frequency for cftime calendars
  const cases = { standard: ["D", "W", ...month], noleap: month, "360_day": month };
  const want = writeAndResample(dir, cases);
  for (const [calendar, freqs] of Object.entries(cases)) {
    const { vars } = await openDataset(path.join(dir, `${calendar}.nc`));
    const arrays: LazyArray[] = [];
    const keys: string[] = [];
    for (const freq of freqs)
      for (const fn of FNS) {
        arrays.push(vars.v.resample({ time: freq }).reduce(fn));
        keys.push(`${calendar} ${freq} ${fn}`);
      }
    const got = await compute(arrays, { executor: "inline", memory: "64MB" });
    got.forEach((g, i) => {
      assertClose(g.data, want[keys[i]], 1e-9, 1e-9, keys[i]);
      const freq = keys[i].split(" ")[1];
      assertClose(
        g.coords.time.values,
        want[`${calendar} ${freq} time`],
        0,
        0,
        `${keys[i]} labels`,
      );
      assert.equal(g.coords.time.time?.calendar, vars.v.coords.time.time?.calendar);
    });
  }
});

test("resample refuses unknown frequencies and non-time dims", async (t) => {
  const dir = tempDir(t);
  writeAndResample(dir, { noleap: [] });
  const { vars } = await openDataset(path.join(dir, "noleap.nc"));
  assert.throws(() => vars.v.resample({ time: "fortnight" }), /unknown frequency "fortnight"/);
  assert.throws(() => vars.v.resample({ x: "MS" }), /"x" has no time coordinate/);
});
