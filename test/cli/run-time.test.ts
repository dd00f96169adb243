import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { assertClose, dae, python, tempDir } from "../helpers.js";
import { xarrayEval } from "../oracles/xarray-eval.js";

test("dae run --print: time coordinates as ISO strings, sel by date, in standard and noleap calendars", (t) => {
  const dir = tempDir(t);
  const standard = path.join(dir, "daily.nc");
  const noleap = path.join(dir, "noleap.nc");
  // written by xarray (standard calendar) and netCDF4 (noleap, across the end of February)
  python(`
import pandas as pd, netCDF4
t = xr.DataArray(np.arange(40.0).reshape(10, 4), dims=("time", "x"),
                 coords={"time": pd.date_range("2000-02-25", periods=10), "x": [0.0, 1, 2, 3]}, name="t")
t.to_netcdf(${JSON.stringify(standard)})
with netCDF4.Dataset(${JSON.stringify(noleap)}, "w", format="NETCDF3_64BIT_OFFSET") as f:
    f.createDimension("time", 10)
    v = f.createVariable("time", "f8", ("time",)); v.units = "days since 2001-02-25"; v.calendar = "noleap"
    v[:] = np.arange(10.0)
    s = f.createVariable("s", "f4", ("time",)); s[:] = np.arange(10.0) * 1.5
print("null")
`);
  const cases = [
    {
      file: standard,
      dae: 't.sel({time: slice("2000-02-28", "2000-03-02")}).mean("x")',
      xarray: 't.sel(time=slice("2000-02-28", "2000-03-02")).mean("x")',
    },
    {
      file: noleap,
      dae: 's.sel({time: slice("2001-02-27", "2001-03-03")}) * 2',
      xarray: 's.sel(time=slice("2001-02-27", "2001-03-03")) * 2',
    },
  ];
  for (const c of cases) {
    const r = dae(["run", "-i", c.file, "-e", c.dae, "--print", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    const [want] = xarrayEval([{ path: c.file }], [c.xarray]);
    assert.ok(want.coords.time.length > 0 && typeof want.coords.time[0] === "string");
    assert.deepEqual(got.coords, want.coords, c.dae);
    assert.deepEqual(got.dims, want.dims);
    assertClose(got.data, want.data as number[], 1e-6, 0, c.dae);
  }
});
