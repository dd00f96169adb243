import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compute } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { assertClose } from "../helpers.js";
import { closeEnough, coordsToIndex, indexToCoords, refReducers } from "../engine/reference.js";
import { randomValues, xarrayOracle } from "./oracle.js";

const FNS = ["mean", "sum", "min", "max", "median", "std", "var", "count"];
const SHAPE = [10, 6, 7];
const DIMS = ["time", "y", "x"];

test("coarsen in each boundary mode equals xarray, values and coordinates", async () => {
  const values = randomValues(
    SHAPE.reduce((a, b) => a * b),
    3,
    0.15,
  );
  const cases: { windows: Record<string, number>; boundary: "exact" | "trim" | "pad" }[] = [
    { windows: { y: 2 }, boundary: "exact" },
    { windows: { time: 5, y: 3 }, boundary: "exact" },
    { windows: { time: 3 }, boundary: "trim" },
    { windows: { time: 4, x: 3 }, boundary: "trim" },
    { windows: { time: 3 }, boundary: "pad" },
    { windows: { y: 4, x: 3 }, boundary: "pad" },
  ];
  const py = cases.map((c) => `(${JSON.stringify(c.windows)}, "${c.boundary}")`).join(", ");
  const want = xarrayOracle(
    { values },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)},
                 coords={"time": np.arange(10) * 1.5, "y": np.arange(6) * 10.0, "x": np.arange(7) ** 2.0})
out = {}
for i, (w, b) in enumerate([${py}]):
    c = a.coarsen(w, boundary=b)
    for fn in ${JSON.stringify(FNS)}:
        r = getattr(c, fn)()
        out[f"{i}_{fn}"] = r
        for d in r.dims:
            out[f"{i}_{fn}_{d}"] = r[d]
`,
  );
  const a = fromArray(values, {
    shape: SHAPE,
    dims: DIMS,
    chunks: [4, 5, 3],
    coords: {
      time: Float64Array.from({ length: 10 }, (_, i) => i * 1.5),
      y: Float64Array.from({ length: 6 }, (_, i) => i * 10),
      x: Float64Array.from({ length: 7 }, (_, i) => i * i),
    },
  });
  const arrays: LazyArray[] = [];
  const keys: string[] = [];
  cases.forEach((c, i) =>
    FNS.forEach((fn) => {
      arrays.push(a.coarsen(c.windows, { boundary: c.boundary }).reduce(fn));
      keys.push(`${i}_${fn}`);
    }),
  );
  const got = await compute(arrays, { executor: "inline", memory: "64MB" });
  got.forEach((g, i) => {
    assertClose(g.data, want[keys[i]], 1e-9, 1e-9, keys[i]);
    for (const d of g.dims)
      assertClose(
        g.coords[d].values,
        want[`${keys[i]}_${d}`],
        1e-12,
        0,
        `${keys[i]} coordinate ${d}`,
      );
  });
});

test("coarsen exact names the dim that does not divide", () => {
  const a = fromArray(new Float64Array(70), { shape: [10, 7], dims: ["time", "x"] });
  assert.throws(
    () => a.coarsen({ x: 3 }),
    /coarsen: dimension "x" of size 7 is not a multiple of the window 3/,
  );
  assert.throws(() => a.coarsen({ x: 3 }, { boundary: "wrap" as "pad" }), /boundary "wrap"/);
});

test("coarsen of integers keeps integer sums and counts, as xarray", async () => {
  const a = fromArray(
    Int32Array.from({ length: 12 }, (_, i) => i * 3 - 7),
    { shape: [12], dims: ["t"], chunks: [5] },
  );
  const [sum, count, mean] = await compute(
    [a.coarsen({ t: 4 }).sum(), a.coarsen({ t: 4 }).count(), a.coarsen({ t: 4 }).mean()],
    { executor: "inline" },
  );
  assert.equal(sum.dtype, "int64");
  assert.equal(count.dtype, "int64");
  assert.deepEqual(Array.from(sum.data), [-10, 38, 86]);
  assert.deepEqual(Array.from(count.data), [4, 4, 4]);
  assert.deepEqual(Array.from(mean.data), [-2.5, 9.5, 21.5]);
});

function refCoarsen(data: Float64Array, shape: number[], k: number[], pad: boolean, fn: string) {
  const outShape = shape.map((n, d) => (pad ? Math.ceil(n / k[d]) : Math.floor(n / k[d])));
  const size = outShape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let o = 0; o < size; o++) {
    const c = indexToCoords(o, outShape);
    const values: number[] = [];
    const walk = (d: number, idx: number[]) => {
      if (d === shape.length) return void values.push(data[coordsToIndex(idx, shape)]);
      for (let i = c[d] * k[d]; i < Math.min(shape[d], c[d] * k[d] + k[d]); i++)
        walk(d + 1, [...idx, i]);
    };
    walk(0, []);
    out[o] = refReducers[fn](values, []);
  }
  return out;
}

test("coarsen equals the naive reference across chunkings, budgets and windows", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ t: fc.integer({ min: 1, max: 14 }), x: fc.integer({ min: 1, max: 7 }) }),
      fc.record({
        kt: fc.integer({ min: 1, max: 5 }),
        kx: fc.integer({ min: 1, max: 3 }),
        pad: fc.boolean(),
      }),
      fc.constantFrom(...FNS),
      fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom(40_000, 10_000_000),
      async (size, k, fn, seed, memory) => {
        const shape = [size.t, size.x];
        const values = randomValues(size.t * size.x, seed, 0.2);
        const a = fromArray(values, {
          shape,
          dims: ["t", "x"],
          chunks: [1 + (seed % size.t), 1 + ((seed >> 3) % size.x)],
        });
        const kt = Math.min(k.kt, size.t);
        const kx = Math.min(k.kx, size.x);
        const [got] = await compute(
          [a.coarsen({ t: kt, x: kx }, { boundary: k.pad ? "pad" : "trim" }).reduce(fn)],
          { executor: "inline", memory },
        );
        const want = refCoarsen(values, shape, [kt, kx], k.pad, fn);
        const err = closeEnough(got.data, want, 1e-9);
        assert.equal(err, undefined, `${fn} k=${kt},${kx} pad=${k.pad}: ${err}`);
      },
    ),
    { numRuns: 120 },
  );
});
