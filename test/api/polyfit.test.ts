import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { polyval } from "../../src/api/polyfit.js";
import { assertClose, tempDir } from "../helpers.js";
import { randomValues, xarrayOracle } from "../windows/oracle.js";

test("polyfit and polyval equal xarray's (degrees 0-3, NaN skipped, irregular and time coordinates)", async (t) => {
  const n = 25;
  const noise = randomValues(n * 6, 71, 0.15);
  const xs = Float64Array.from({ length: n }, (_, i) => 1990 + i * 0.4 + (i * i) / 50);
  // a trend plus noise, so the fits have something to find
  const values = Float64Array.from(noise, (v, k) => v / 10 + 0.3 * (xs[Math.floor(k / 6)] - 1995));
  const file = path.join(tempDir(t), "series.nc");
  const want = xarrayOracle(
    { values, xs },
    `
import pandas as pd
a = xr.DataArray(values.reshape(${n}, 2, 3), dims=["time", "y", "x"], coords={"time": xs})
c = {d: a.polyfit("time", d).polyfit_coefficients for d in range(4)}
times = pd.date_range("2000-01-01", periods=${n}, freq="5D")
tv = a.assign_coords(time=times)
tv.rename("v").to_dataset().to_netcdf(${JSON.stringify(file)}, encoding={"time": {"units": "days since 2000-01-01"}})
out = {f"deg{d}": c[d] for d in c}
out["y_deg1"] = a.fillna(0).polyfit("y", 1).polyfit_coefficients
out["val2"] = xr.polyval(a.time, c[2])
out["time1"] = tv.polyfit("time", 1).polyfit_coefficients
out["dims"] = list(c[2].dims) + [str(v) for v in c[2].degree.values]
`,
  );
  const a = fromArray(values, {
    shape: [n, 2, 3],
    dims: ["time", "y", "x"],
    chunks: [7, 2, 2],
    coords: { time: xs },
  });
  const x = fromArray(xs, { shape: [n], dims: ["time"], chunks: [n] });
  const v = (await openDataset(file)).vars.v;
  const cases = {
    deg0: a.polyfit("time", 0),
    deg1: evaluateExpression('a.polyfit("time", 1)', { a }),
    deg2: a.polyfit("time", 2),
    deg3: a.polyfit("time", 3),
    y_deg1: a.fillna(0).polyfit("y", 1),
    // one valid point of two: no unique line (xarray gives a minimum-norm one), NaN here
    underdetermined: a.polyfit("y", 1),
    val2: polyval(x, a.polyfit("time", 2)),
    val2_expr: evaluateExpression('polyval(x, a.polyfit("time", 2))', { a, x }),
    time1: v.polyfit("time", 1),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, i) => {
    if (k !== "underdetermined")
      assertClose(got[i].data, want[k === "val2_expr" ? "val2" : k], 1e-7, 1e-9, k);
  });
  const under = got[Object.keys(cases).indexOf("underdetermined")].data;
  for (let i = 0; i < n * 3; i++) {
    const valid = [0, 1].filter(
      (y) => !Number.isNaN(values[(Math.floor(i / 3) * 2 + y) * 3 + (i % 3)]),
    );
    assert.equal(Number.isNaN(under[i]), valid.length < 2, `series ${i}: ${valid.length} valid`);
  }
  assert.deepEqual([...got[2].dims, ...Array.from(got[2].coords.degree.values, String)], want.dims);
});
