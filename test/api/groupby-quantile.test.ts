import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { assertClose, tempDir } from "../helpers.js";
import { randomValues, xarrayOracle } from "../windows/oracle.js";

test("groupby median and quantile equal xarray's (months, seasons, NaN, linear interpolation)", async (t) => {
  const n = 400;
  const values = randomValues(n * 6, 61, 0.15);
  const file = path.join(tempDir(t), "daily.nc");
  const want = xarrayOracle(
    { values },
    `
import pandas as pd
time = pd.date_range("2001-01-01", periods=${n}, freq="D")
a = xr.DataArray(values.reshape(${n}, 2, 3).astype("float32"), dims=["time", "y", "x"], coords={"time": time})
a.rename("t").to_dataset().to_netcdf(${JSON.stringify(file)})
m = a.groupby("time.month")
out = {
  "median": m.median(), "q90": m.quantile(0.9), "q0": m.quantile(0),
  "season_q25": a.groupby("time.season").quantile(0.25), "season_median": a.groupby("time.season").median(),
  "dtypes": [str(m.median().dtype), str(m.quantile(0.9).dtype)],
}
`,
  );
  const ds = await openDataset(file);
  const tv = ds.vars.t;
  const m = tv.groupby("time.month");
  const cases = {
    median: evaluateExpression('t.groupby("time.month").median()', ds.vars),
    q90: m.quantile(0.9),
    q0: evaluateExpression('t.groupby("time.month").quantile(0)', ds.vars),
    season_q25: tv.groupby("time.season").quantile(0.25),
    season_median: tv.groupby("time.season").median(),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, i) => {
    assert.deepEqual(
      got[i].dims,
      k.startsWith("season") ? ["season", "y", "x"] : ["month", "y", "x"],
    );
    assertClose(got[i].data, want[k], 1e-6, 1e-6, k);
  });
  assert.deepEqual([got[0].dtype, got[1].dtype], want.dtypes);
});
