import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isWhole, reducer, type Reducer } from "../../src/core/kernels/reductions.js";
import { closeEnough, refReducers } from "./reference.js";

/**
 * Each streamed reduction folded over random slabs, in both layouts, and split into two
 * partial states that are combined, equals the naive reduction of each output's values.
 */
test("streamed reductions: slabs, layouts and combined partial states equal the reference", () => {
  const names = Object.keys(refReducers).filter((n) => !isWhole(reducer(n)));
  fc.assert(
    fc.property(
      fc.constantFrom(...names),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 0, max: 30 }),
      fc.boolean(),
      fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)), {
        minLength: 180,
        maxLength: 180,
      }),
      (name, nOut, len, slab, cut, planes, pool) => {
        const r = reducer(name) as Reducer;
        // values[i][j]: output i, position j along the reduced axis
        const values = Array.from({ length: nOut }, (_, i) =>
          Array.from({ length: len }, (_, j) => pool[(i * 31 + j) % pool.length]),
        );
        const fold = (from: number, to: number) => {
          const state = Array.from({ length: r.slots }, () => new Float64Array(nOut));
          r.init(state);
          for (let s = from; s < to; s += slab) {
            const e = Math.min(to, s + slab);
            const w = e - s;
            const data = new Float64Array(w * nOut);
            for (let i = 0; i < nOut; i++)
              for (let j = 0; j < w; j++)
                data[planes ? j * nOut + i : i * w + j] = values[i][s + j];
            if (planes) r.foldPlanes(state, data, w, s, true);
            else r.foldRuns(state, data, w, s, true);
          }
          return state;
        };
        const c = Math.min(cut, len);
        const a = fold(0, c);
        r.combine(a, fold(c, len));
        const out = new Float64Array(nOut);
        r.finalize(a, out, {});
        const want = values.map((v) =>
          refReducers[name](
            v,
            v.map((_, j) => j),
          ),
        );
        const err = closeEnough(out, want, 1e-9);
        assert.equal(err, undefined, `${name}: ${err}`);
      },
    ),
    { numRuns: 500 },
  );
});
