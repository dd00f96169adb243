import { test } from "node:test";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { assertClose } from "../helpers.js";
import { randomValues, xarrayOracle } from "../windows/oracle.js";

test("cov and corr equal xarray's (pairwise valid, broadcast by dim name, ddof), in expressions too", async () => {
  const av = randomValues(20 * 12, 41, 0.15);
  const bv = randomValues(20 * 4, 42, 0.15);
  const want = xarrayOracle(
    { av, bv },
    `
a = xr.DataArray(av.reshape(20, 3, 4), dims=["time", "y", "x"])
b = xr.DataArray(bv.reshape(20, 4), dims=["time", "x"])
out = {
  "cov": xr.cov(a, b, "time"), "cov0": xr.cov(a, b, "time", ddof=0), "corr": xr.corr(a, b, "time"),
  "corr_all": xr.corr(a, b), "cov_tx": xr.cov(a, b, ["time", "x"]), "corr_self": xr.corr(a, a, "y"),
}
`,
  );
  const a = fromArray(av, { shape: [20, 3, 4], dims: ["time", "y", "x"], chunks: [6, 2, 4] });
  const b = fromArray(bv, { shape: [20, 4], dims: ["time", "x"], chunks: [7, 3] });
  const cases = {
    cov: a.cov(b, "time"),
    cov0: evaluateExpression('cov(a, b, "time", {ddof: 0})', { a, b }),
    corr: evaluateExpression('corr(a, b, "time")', { a, b }),
    corr_all: a.corr(b),
    cov_tx: a.cov(b, ["time", "x"]),
    corr_self: a.corr(a, "y"),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, n) => assertClose(got[n].data, want[k], 1e-10, 1e-12, k));
});
