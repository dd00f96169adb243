import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compute } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { assertClose } from "../helpers.js";
import { closeEnough, coordsToIndex, indexToCoords, refReducers } from "../engine/reference.js";
import { randomValues, xarrayOracle } from "./oracle.js";

const FNS = ["mean", "sum", "min", "max", "median", "std", "var", "count"] as const;
const SHAPE = [30, 4, 5];
const DIMS = ["time", "y", "x"];

function reduceBy(r: { reduce(fn: string): LazyArray }, fn: string): LazyArray {
  return r.reduce(fn);
}

test("rolling along time (trailing and centred, minPeriods, NaNs) equals xarray", async () => {
  const values = randomValues(
    SHAPE.reduce((a, b) => a * b),
    1,
    0.15,
  );
  const cases = [
    { w: 5, center: false, mp: undefined },
    { w: 4, center: true, mp: 2 },
    { w: 3, center: true, mp: undefined },
    { w: 7, center: false, mp: 1 },
    { w: 1, center: false, mp: undefined },
  ];
  const want = xarrayOracle(
    { values },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)})
out = {}
for w, center, mp in ${JSON.stringify(cases.map((c) => [c.w, c.center, c.mp ?? null]))
      .replace(/true/g, "True")
      .replace(/false/g, "False")
      .replace(/null/g, "None")}:
    r = a.rolling(time=w, center=center, min_periods=mp)
    for fn in ${JSON.stringify(FNS)}:
        out[f"{fn}_{w}_{center}_{mp}"] = getattr(r, fn)()
`,
  );
  const a = fromArray(values, { shape: SHAPE, dims: DIMS, chunks: [7, 3, 2] });
  const arrays: LazyArray[] = [];
  const keys: string[] = [];
  for (const c of cases)
    for (const fn of FNS) {
      arrays.push(reduceBy(a.rolling({ time: c.w }, { center: c.center, minPeriods: c.mp }), fn));
      keys.push(`${fn}_${c.w}_${c.center ? "True" : "False"}_${c.mp ?? "None"}`);
    }
  const got = await compute(arrays, { executor: "inline", memory: "64MB" });
  got.forEach((g, i) => {
    assert.deepEqual(g.dims, DIMS);
    // bottleneck's moving std leaves ~1e-8 of rounding where the exact answer is 0
    assertClose(g.data, want[keys[i]], 1e-9, 1e-6, keys[i]);
  });
});

test("an n-D rolling window (3×3 over y/x, and time×x) equals xarray, separable or direct", async () => {
  const values = randomValues(
    SHAPE.reduce((a, b) => a * b),
    2,
    0.1,
  );
  const want = xarrayOracle(
    { values },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(SHAPE)}), dims=${JSON.stringify(DIMS)})
out = {}
for fn in ${JSON.stringify(FNS)}:
    out["yx_" + fn] = getattr(a.rolling(y=3, x=3, center=True, min_periods=1), fn)()
    out["tx_" + fn] = getattr(a.rolling(time=4, x=2), fn)()
`,
  );
  const a = fromArray(values, { shape: SHAPE, dims: DIMS, chunks: [8, 2, 3] });
  const arrays = FNS.flatMap((fn) => [
    reduceBy(a.rolling({ y: 3, x: 3 }, { center: true, minPeriods: 1 }), fn),
    reduceBy(a.rolling({ time: 4, x: 2 }), fn),
  ]);
  const got = await compute(arrays, { executor: "inline", memory: "64MB" });
  FNS.forEach((fn, i) => {
    assertClose(got[2 * i].data, want[`yx_${fn}`], 1e-9, 1e-9, `yx ${fn}`);
    assertClose(got[2 * i + 1].data, want[`tx_${fn}`], 1e-9, 1e-9, `tx ${fn}`);
  });
});

/** The naive rolling reference: gather each window's values, reduce them plainly. */
function refRolling(
  data: Float64Array,
  shape: number[],
  windows: number[],
  center: boolean,
  minPeriods: number,
  fn: string,
): Float64Array {
  const out = new Float64Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const c = indexToCoords(k, shape);
    const values: number[] = [];
    const walk = (d: number, idx: number[]) => {
      if (d === shape.length) {
        values.push(data[coordsToIndex(idx, shape)]);
        return;
      }
      const w = windows[d];
      const lo = c[d] - (center ? Math.floor(w / 2) : w - 1);
      for (let i = lo; i < lo + w; i++) if (i >= 0 && i < shape[d]) walk(d + 1, [...idx, i]);
    };
    walk(0, []);
    const valid = values.filter((x) => !Number.isNaN(x)).length;
    out[k] = valid < minPeriods ? NaN : refReducers[fn](values, []);
  }
  return out;
}

test("rolling equals the naive reference across chunkings, memory budgets and window widths", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ t: fc.integer({ min: 1, max: 12 }), x: fc.integer({ min: 1, max: 6 }) }),
      fc.record({
        wt: fc.integer({ min: 1, max: 6 }),
        wx: fc.integer({ min: 1, max: 3 }),
        twoD: fc.boolean(),
        center: fc.boolean(),
        mp: fc.integer({ min: 1, max: 4 }),
      }),
      fc.constantFrom(...FNS),
      fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom(40_000, 200_000, 10_000_000),
      async (size, win, fn, seed, memory) => {
        const shape = [size.t, size.x];
        const values = randomValues(size.t * size.x, seed, 0.2);
        const chunks = [1 + (seed % size.t), 1 + (seed % size.x)];
        const a = fromArray(values, { shape, dims: ["t", "x"], chunks });
        const windows: Record<string, number> = win.twoD ? { t: win.wt, x: win.wx } : { t: win.wt };
        const mp = Math.min(win.mp, win.wt * (win.twoD ? win.wx : 1));
        const [got] = await compute(
          [reduceBy(a.rolling(windows, { center: win.center, minPeriods: mp }), fn)],
          { executor: "inline", memory },
        );
        const want = refRolling(values, shape, [win.wt, win.twoD ? win.wx : 1], win.center, mp, fn);
        const err = closeEnough(got.data, want, 1e-9);
        assert.equal(
          err,
          undefined,
          `${fn} ${JSON.stringify(windows)} center=${win.center} mp=${mp} chunks=${chunks}: ${err}`,
        );
      },
    ),
    { numRuns: 150 },
  );
});

test("rolling rejects bad windows with one-line errors", () => {
  const a = fromArray(new Float64Array(6), { shape: [6], dims: ["t"] });
  assert.throws(() => a.rolling({ z: 3 }), /no dimension "z"/);
  assert.throws(() => a.rolling({ t: 0 }), /window 0 for "t" must be a positive integer/);
  assert.throws(() => a.rolling({ t: 2 }, { minPeriods: 0 }), /minPeriods 0/);
});
