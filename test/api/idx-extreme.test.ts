import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { assertClose, tempDir } from "../helpers.js";
import { randomValues, xarrayOracle } from "../windows/oracle.js";

test("idxmin and idxmax equal xarray's: labels of float and time coordinates, all-NaN rows NaN", async (t) => {
  const values = randomValues(15 * 4 * 3, 51, 0.2);
  for (let i = 0; i < 15; i++) values[i * 12 + 5] = NaN; // (y=1, x=2) has no value
  const xs = Float64Array.from([10, 5, -2.5]);
  const ys = Float64Array.from([0.5, 1.5, 2.5, 3.5]);
  const file = path.join(tempDir(t), "times.nc");
  const want = xarrayOracle(
    { values, xs, ys },
    `
import pandas as pd
time = pd.date_range("2001-03-01", periods=15, freq="6h")
a = xr.DataArray(values.reshape(15, 4, 3), dims=["time", "y", "x"], coords={"time": time, "y": ys, "x": xs})
a.rename("v").to_dataset().to_netcdf(${JSON.stringify(file)}, encoding={"time": {"units": "hours since 2001-01-01", "calendar": "standard"}})
hours = lambda r: (r - np.datetime64("2001-01-01")) / np.timedelta64(1, "h")
out = {
  "max_x": a.idxmax("x"), "min_x": a.idxmin("x"), "max_y": a.idxmax("y"),
  "max_time": hours(a.idxmax("time")), "min_time": hours(a.idxmin("time")),
}
`,
  );
  const a = fromArray(values, {
    shape: [15, 4, 3],
    dims: ["time", "y", "x"],
    chunks: [4, 3, 2],
    coords: { x: xs, y: ys },
  });
  const v = (await openDataset(file)).vars.v;
  const cases = {
    max_x: a.idxmax("x"),
    min_x: evaluateExpression('a.idxmin("x")', { a }),
    max_y: evaluateExpression('idxmax(a, "y")', { a }),
    max_time: v.idxmax("time"),
    min_time: v.idxmin("time"),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, n) => assertClose(got[n].data, want[k], 0, 1e-9, k));
  assert.deepEqual(got[3].attrs, { units: "hours since 2001-01-01", calendar: "standard" });
  assert.throws(() => a.idxmax("time"), /dimension "time" of data has no coordinate/);
});
