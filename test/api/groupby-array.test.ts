import { test } from "node:test";
import assert from "node:assert/strict";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { groupLabels } from "../../src/api/groupby-array.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { assertClose } from "../helpers.js";
import { randomValues, seeded, xarrayOracle } from "../windows/oracle.js";

test("groupby a label map: reductions and anomalies equal xarray's (NaN labels out, any dim order)", async () => {
  const values = randomValues(5 * 7 * 9, 81, 0.1);
  const r = seeded(82);
  // labels 1, 2, 5, 9 and NaN (no zone)
  const zones = Float64Array.from({ length: 63 }, () => [1, 2, 5, 9, NaN][Math.floor(r() * 5)]);
  const want = xarrayOracle(
    { values, zones },
    `
t = xr.DataArray(values.reshape(5, 7, 9), dims=["time", "y", "x"])
z = xr.DataArray(zones.reshape(7, 9), dims=["y", "x"], name="basin")
g = t.groupby(z)
out = {fn: getattr(g, fn)() for fn in ["mean", "sum", "count", "min", "max", "std", "var"]}
out["std1"] = g.std(ddof=1)
out["xy"] = t.groupby(z.transpose("x", "y")).mean()
zf = z.fillna(-99)  # xarray cannot subtract where a label has no group: give those their own
out["anomaly"] = (t.groupby(zf) - t.groupby(zf).mean()).where(z.notnull())
out["labels"] = g.mean().basin
out["dims"] = list(g.mean().dims)
`,
  );
  const t = fromArray(values, { shape: [5, 7, 9], dims: ["time", "y", "x"], chunks: [2, 3, 4] });
  const z = fromArray(zones, { shape: [7, 9], dims: ["y", "x"], chunks: [7, 5], name: "basin" });
  const labels = await groupLabels(z, { executor: "inline" });
  assert.deepEqual(labels, want.labels);
  const g = t.groupby(z, { labels });
  const zt = z.transpose("x", "y");
  const cases = {
    mean: evaluateExpression("t.groupby(basin, {labels: [1, 2, 5, 9]}).mean()", { t, basin: z }),
    sum: g.sum(),
    count: g.count(),
    min: g.min(),
    max: g.max(),
    std: g.std(),
    var: g.var(),
    std1: g.std({ ddof: 1 }),
    xy: t.groupby(zt, { labels }).mean(),
    anomaly: evaluateExpression(
      "t.groupby(basin, {labels: [1, 2, 5, 9]}) - t.groupby(basin, {labels: [1, 2, 5, 9]}).mean()",
      { t, basin: z },
    ),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, i) => assertClose(got[i].data, want[k], 1e-12, 1e-12, k));
  assert.deepEqual(got[0].dims, want.dims);
  assert.deepEqual(got[9].dims, ["time", "y", "x"]);
  assert.throws(() => t.groupby(z, { labels: [] }), /needs its labels/);
});
