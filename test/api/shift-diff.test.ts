import { test } from "node:test";
import assert from "node:assert/strict";
import { compute } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { assertClose } from "../helpers.js";
import { randomValues, xarrayOracle } from "../windows/oracle.js";

const SHAPE = [12, 5, 4];
const DIMS = ["time", "y", "x"];
const size = SHAPE.reduce((p, q) => p * q, 1);
const timeCoord = Float64Array.from({ length: 12 }, (_, i) => 100 + i * i);

test("shift and diff equal xarray's (values, dtypes, labels), as methods and in expressions", async () => {
  const values = randomValues(size, 21, 0.1);
  const ints = Float64Array.from({ length: size }, (_, i) => (i * 13) % 17);
  const want = xarrayOracle(
    { values, ints, tc: timeCoord },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)}, coords={"time": tc})
i = xr.DataArray(ints.astype("int32").reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)}, coords={"time": tc})
cases = {
  "shift1": a.shift(time=1), "shift_neg": a.shift(time=-3), "shift_2d": a.shift(time=2, x=-1),
  "shift_far": a.shift(y=7), "shift_int": i.shift(time=1),
  "diff1": a.diff("time"), "diff2": a.diff("time", n=2), "diff_x": a.diff("x"),
  "diff_lower": a.diff("time", label="lower"), "diff_int": i.diff("time", 3),
}
out = {k: v for k, v in cases.items()}
out.update({k + "_time": v.time for k, v in cases.items()})
out["dtypes"] = [str(v.dtype) for v in cases.values()]
`,
  );
  const coords = { time: timeCoord };
  const a = fromArray(values, { shape: SHAPE, dims: DIMS, chunks: [5, 2, 3], coords });
  const i = fromArray(Int32Array.from(ints), {
    shape: SHAPE,
    dims: DIMS,
    chunks: [4, 5, 1],
    coords,
  });
  const cases = {
    shift1: a.shift({ time: 1 }),
    shift_neg: evaluateExpression("a.shift({time: -3})", { a }),
    shift_2d: a.shift({ time: 2, x: -1 }),
    shift_far: a.shift({ y: 7 }),
    shift_int: i.shift({ time: 1 }),
    diff1: a.diff("time"),
    diff2: evaluateExpression('diff(a, "time", 2)', { a }),
    diff_x: a.diff("x"),
    diff_lower: a.diff("time", 1, { label: "lower" }),
    diff_int: i.diff("time", 3),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "16MB" });
  Object.keys(cases).forEach((k, n) => {
    assertClose(got[n].data, want[k], 1e-12, 1e-12, k);
    assertClose(got[n].coords.time.values, want[`${k}_time`], 0, 0, `${k} time labels`);
  });
  assert.deepEqual(
    got.map((g) => g.dtype),
    want.dtypes,
  );
});
