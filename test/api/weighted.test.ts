import { test } from "node:test";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { assertClose } from "../helpers.js";
import { randomValues, xarrayOracle } from "../windows/oracle.js";

const SHAPE = [10, 6, 5];
const DIMS = ["time", "lat", "lon"];

test("weighted sum/mean/var/std and sum of weights equal xarray's (weights where data are valid)", async () => {
  const values = randomValues(300, 31, 0.2);
  // one grid cell without any value, so its weighted mean over time is NaN
  for (let t = 0; t < 10; t++) values[t * 30 + 7] = NaN;
  const latw = Float64Array.from([0.2, 0.5, 0, 1, 0.7, 0.3]);
  const grid = Float64Array.from({ length: 30 }, (_, i) => 1 + (i % 4));
  const timew = Float64Array.from({ length: 10 }, (_, i) => i + 1);
  const want = xarrayOracle(
    { values, latw, grid, timew },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)})
wl = xr.DataArray(latw, dims=["lat"])
wg = xr.DataArray(grid.reshape(6, 5), dims=["lat", "lon"])
wt = xr.DataArray(timew, dims=["time"])
out = {
  "mean_ll": a.weighted(wl).mean(["lat", "lon"]), "mean_all": a.weighted(wg).mean(),
  "sum_lat": a.weighted(wl).sum("lat"), "var_ll": a.weighted(wg).var(["lat", "lon"]),
  "std_ll": a.weighted(wl).std(["lat", "lon"]), "sow": a.weighted(wl).sum_of_weights("lat"),
  "mean_time": a.weighted(wt).mean("time"), "std_time": a.weighted(wt).std("time"),
}
`,
  );
  const a = fromArray(values, { shape: SHAPE, dims: DIMS, chunks: [3, 4, 2] });
  const wl = fromArray(latw, { shape: [6], dims: ["lat"], chunks: [4] });
  const wg = fromArray(grid, { shape: [6, 5], dims: ["lat", "lon"], chunks: [6, 5] });
  const wt = fromArray(timew, { shape: [10], dims: ["time"], chunks: [10] });
  const cases = {
    mean_ll: evaluateExpression('a.weighted(wl).mean(["lat", "lon"])', { a, wl }),
    mean_all: a.weighted(wg).mean(),
    sum_lat: a.weighted(wl).sum("lat"),
    var_ll: a.weighted(wg).var(["lat", "lon"]),
    std_ll: a.weighted(wl).std(["lat", "lon"]),
    sow: a.weighted(wl).sumOfWeights("lat"),
    mean_time: a.weighted(wt).mean("time"),
    std_time: a.weighted(wt).std("time"),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, n) => assertClose(got[n].data, want[k], 1e-12, 1e-12, k));
});
