import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { axisInputRange } from "../../src/core/kernels/window-axis.js";

test("the input range of listed windows over an index list equals a scan of every entry, for ranges long and short", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -1, max: 5000 }), { minLength: 1, maxLength: 4000, size: "max" }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.nat(),
      (index, cuts, p, q) => {
        // windows: consecutive runs of the index list, as groups lay their members out
        const edges = [...new Set([0, index.length, ...cuts.map((c) => c % index.length)])].sort(
          (a, b) => a - b,
        );
        const starts = edges.slice(0, -1);
        const stops = edges.slice(1);
        const w = { outDim: "g", starts, stops, index };
        const n = 5001;
        const j0 = p % starts.length;
        const j1 = j0 + 1 + (q % (starts.length - j0));
        let lo = Infinity;
        let hi = -Infinity;
        for (let k = starts[j0]; k < stops[j1 - 1]; k++)
          if (index[k] >= 0) [lo, hi] = [Math.min(lo, index[k]), Math.max(hi, index[k] + 1)];
        const want = lo < hi ? [lo, hi] : [0, 0];
        assert.deepEqual(axisInputRange(w, n, j0, j1), want);
      },
    ),
    { numRuns: 300, seed: 20261208 },
  );
});
