import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import path from "node:path";
import { compute, load, plan, toZarr } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { slice } from "../../src/api/selection.js";
import { recomputed } from "../../src/plan/shared-results.js";
import { assertClose, tempDir } from "../helpers.js";
import { randomValues, seeded, xarrayOracle } from "../windows/oracle.js";

const SHAPE = [40, 3, 4];
const DIMS = ["time", "y", "x"];

test("cumsum and cumprod equal xarray's (NaN skipped or not, along any dim, ints)", async () => {
  const values = randomValues(40 * 12, 11, 0.15);
  // products of values near 1 stay finite over 40 steps
  const near1 = Float64Array.from(values, (v) => (v === v ? 1 + v / 40 : NaN));
  const ints = Float64Array.from({ length: 40 * 12 }, (_, i) => (i * 7) % 11);
  const want = xarrayOracle(
    { values, near1, ints },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)})
p = xr.DataArray(near1.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)})
i = xr.DataArray(ints.astype("int32").reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)})
f = a.astype("float32")
out = {
  "sum_time": a.cumsum("time"), "sum_x": a.cumsum("x"), "sum_y": a.cumsum("y"),
  "sum_nan": a.cumsum("time", skipna=False),
  "prod_time": p.cumprod("time"), "prod_nan": p.cumprod("time", skipna=False),
  "int_sum": i.cumsum("time"), "int_prod": (i % 3 + 1).cumprod("y"),
  "f32_sum": f.cumsum("time"),
  "dtypes": [str(i.cumsum("time").dtype), str(f.cumsum("time").dtype)],
}
`,
  );
  const a = fromArray(values, { shape: SHAPE, dims: DIMS, chunks: [3, 2, 3] });
  const p = fromArray(near1, { shape: SHAPE, dims: DIMS, chunks: [5, 3, 4] });
  const i = fromArray(Int32Array.from(ints), { shape: SHAPE, dims: DIMS, chunks: [4, 1, 4] });
  const f = fromArray(Float32Array.from(values), { shape: SHAPE, dims: DIMS, chunks: [7, 3, 2] });
  const cases = {
    sum_time: a.cumsum("time"),
    sum_x: a.cumsum("x"),
    sum_y: a.cumsum("y"),
    sum_nan: a.cumsum("time", { skipna: false }),
    prod_time: p.cumprod("time"),
    prod_nan: p.cumprod("time", { skipna: false }),
    int_sum: i.cumsum("time"),
    int_prod: i.mod(3).add(1).cumprod("y"),
    f32_sum: f.cumsum("time"),
    // as `dae run -e` writes them: methods, or functions of the array
    expr_sum: evaluateExpression('a.cumsum("time")', { a }),
    expr_prod: evaluateExpression('cumprod(p, "time", {skipna: false})', { p }),
  };
  const got = await compute(Object.values(cases), { executor: "inline", memory: "8MB" });
  Object.keys(cases).forEach((k, n) => {
    assert.deepEqual(got[n].dims, DIMS, k);
    // float32 sums accumulate in float32 in numpy, in float64 here
    const expected = { expr_sum: want.sum_time, expr_prod: want.prod_nan }[k] ?? want[k];
    assertClose(got[n].data, expected, k === "f32_sum" ? 1e-5 : 1e-12, 1e-9, k);
  });
  assert.deepEqual([got[6].dtype, got[8].dtype], want.dtypes);
});

/** nancumsum / nancumprod (or the NaN-propagating ones) of [n, m] along the first dim. */
function reference(data: Float64Array, n: number, m: number, prod: boolean, skipna: boolean) {
  const out = new Float64Array(n * m);
  for (let q = 0; q < m; q++) {
    let run = prod ? 1 : 0;
    for (let t = 0; t < n; t++) {
      const v = data[t * m + q];
      if (v === v || !skipna) run = prod ? run * v : run + v;
      out[t * m + q] = run;
    }
  }
  return out;
}

test("a scan over any chunking, output chunks, budget and slice of it gives one block's answer", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        n: fc.integer({ min: 1, max: 150 }),
        m: fc.integer({ min: 1, max: 3 }),
        chunk: fc.integer({ min: 1, max: 40 }),
        outChunk: fc.integer({ min: 1, max: 60 }),
        memory: fc.constantFrom("1MB", "64MB"),
        prod: fc.boolean(),
        skipna: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1000 }),
        from: fc.nat(),
        to: fc.nat(),
      }),
      async ({ n, m, chunk, outChunk, memory, prod, skipna, seed, from, to }) => {
        const r = seeded(seed);
        const data = Float64Array.from({ length: n * m }, () =>
          r() < 0.1 ? NaN : prod ? 0.9 + r() / 5 : Math.round(r() * 200 - 100) / 8,
        );
        const a = fromArray(data, { shape: [n, m], dims: ["t", "x"], chunks: [chunk, m] });
        const scanned = prod ? a.cumprod("t", { skipna }) : a.cumsum("t", { skipna });
        // a slice asks the scan for a box anywhere along the axis, off chunk and segment edges
        const [lo, hi] = [from % n, to % n].sort((x, y) => x - y);
        const [got, sliced] = await compute(
          [scanned.rechunk({ t: outChunk }), scanned.isel({ t: slice(lo, hi + 1) })],
          { executor: "inline", memory },
        );
        const want = reference(data, n, m, prod, skipna);
        assertClose(got.data, want, 1e-12, 1e-9);
        assertClose(sliced.data, want.subarray(lo * m, (hi + 1) * m), 1e-12, 1e-9, "slice");
      },
    ),
    { numRuns: 60 },
  );
});

test("a long axis written in many blocks gives one block's answer, totals shared or fused", async (t) => {
  const [n, m] = [3000, 200];
  const data = randomValues(n * m, 5, 0.05);
  const a = fromArray(data, { shape: [n, m], dims: ["t", "x"], chunks: [10, m] });
  const scanned = a.cumsum("t").rechunk({ t: 50 });
  // segments of whole chunks, at least √3000 long
  const node = scanned.built.node;
  assert.equal(node.op === "window" && node.params.segment, 60);
  const target = { kind: "zarr" as const, url: "unused", path: "a", zarrFormat: 3 as const };
  const p = plan([scanned], [target], { executor: "inline", memory: "2MB" });
  assert.ok(p.groups[0].blockCounts[0] >= 10, `blocks ${p.groups[0].blockCounts}`);
  // the segment totals, read by every block, are computed once first
  assert.deepEqual(
    recomputed(p).map((r) => r.dims),
    [["t_segment", "x"]],
  );
  const want = reference(data, n, m, false, true);
  const dir = tempDir(t);
  for (const intermediates of [true, false]) {
    const out = path.join(dir, `${intermediates}.zarr`);
    await toZarr(scanned, out, { executor: "inline", memory: "2MB", intermediates });
    const got = await load((await openDataset(out)).vars.data);
    assertClose(got.data, want, 1e-12, 1e-9, `intermediates ${intermediates}`);
  }
  // threads too: blocks on other workers carry the same totals
  const [threads] = await compute([a.cumsum("t")], { workers: 2, memory: "64MB" });
  assertClose(threads.data, want, 1e-12, 1e-9, "threads");
});
