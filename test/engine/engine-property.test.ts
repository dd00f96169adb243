import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromArray } from "../../src/api/open-dataset.js";
import { compute } from "../../src/api/compute.js";
import { closeEnough, refBinary, refReduce, refReducers, type RefArray } from "./reference.js";

const DIMS = ["t", "y", "x"];

/** A random array over a random subset of DIMS (sizes fixed per dim), with NaNs, and a random chunking. */
function arrayArb(sizes: Record<string, number>) {
  return fc
    .subarray(DIMS, { minLength: 1 })
    .chain((dims) =>
      fc.record({
        dims: fc.constant(dims),
        chunks: fc.tuple(...dims.map((d) => fc.integer({ min: 1, max: sizes[d] }))),
        values: fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(NaN)), {
          minLength: dims.reduce((p, d) => p * sizes[d], 1),
          maxLength: dims.reduce((p, d) => p * sizes[d], 1),
        }),
      }),
    )
    .map(({ dims, chunks, values }) => {
      const ref: RefArray = {
        dims,
        shape: dims.map((d) => sizes[d]),
        data: Float64Array.from(values),
      };
      return { ref, chunks };
    });
}

const sizesArb = fc.record({
  t: fc.integer({ min: 1, max: 9 }),
  y: fc.integer({ min: 1, max: 6 }),
  x: fc.integer({ min: 1, max: 7 }),
});

/** Budgets from tight (a few chunks beyond the results held in memory) to roomy, as a factor. */
const budgetArb = fc.constantFrom(1, 2, 1000);
/** Bytes for the loaded results plus room for `factor` × 16 chunks of 8×8×8 float64 (4 KB). */
const budgetFor = (resultElements: number, factor: number) =>
  resultElements * 8 * 2 + factor * 16 * 4096;

test("broadcast a + b over non-aligned chunkings, then a reduction, equals the naive reference", async () => {
  await fc.assert(
    fc.asyncProperty(
      sizesArb.chain((sizes) => fc.tuple(arrayArb(sizes), arrayArb(sizes))),
      fc.constantFrom(...Object.keys(refReducers)),
      fc.subarray(DIMS),
      budgetArb,
      async ([a, b], fn, over, memory) => {
        const la = fromArray(Float64Array.from(a.ref.data), {
          shape: a.ref.shape,
          dims: a.ref.dims,
          chunks: a.chunks,
        });
        const lb = fromArray(Float64Array.from(b.ref.data), {
          shape: b.ref.shape,
          dims: b.ref.dims,
          chunks: b.chunks,
        });
        const sum = la.add(lb);
        const refSum = refBinary(a.ref, b.ref, (x, y) => x + y);
        const reduceOver = over.filter((d) => refSum.dims.includes(d));
        if (fn === "argmin" && reduceOver.length !== 1) return;
        const reduced = (sum as unknown as Record<string, (d: string[]) => typeof sum>)[fn].call(
          sum,
          reduceOver,
        );
        const want = refReduce(
          refSum,
          reduceOver.length ? reduceOver : refSum.dims,
          refReducers[fn],
        );
        const run = compute([sum, reduced], {
          executor: "inline",
          memory: budgetFor(sum.size + reduced.size, memory),
        });
        if (fn === "median" && memory === 1) {
          // a median needs its whole reduced range in memory: a tight budget may refuse it, before running
          const outcome = await run.then(
            () => undefined,
            (e: Error) => e,
          );
          if (outcome) assert.match(outcome.message, /median needs the whole/);
          if (outcome) return;
        }
        const [gotSum, gotRed] = await run;
        assert.deepEqual(gotSum.dims, refSum.dims);
        assert.equal(closeEnough(gotSum.data, refSum.data), undefined);
        assert.deepEqual(gotRed.dims, want.dims);
        const err = closeEnough(gotRed.data, want.data, 1e-9);
        assert.equal(err, undefined, `${fn} over [${reduceOver}] with memory ${memory}: ${err}`);
      },
    ),
    { numRuns: 150, timeout: 5000, markInterruptAsFailure: true },
  );
});

test("isel with steps and scalars, transpose, then mean, equals the reference", async () => {
  await fc.assert(
    fc.asyncProperty(
      sizesArb.chain((sizes) => arrayArb(sizes)),
      fc.integer({ min: 1, max: 3 }),
      budgetArb,
      async (a, step, memory) => {
        const la = fromArray(Float64Array.from(a.ref.data), {
          shape: a.ref.shape,
          dims: a.ref.dims,
          chunks: a.chunks,
        });
        const d0 = a.ref.dims[0];
        const n0 = a.ref.shape[0];
        const start = Math.floor(n0 / 3);
        const sel = la.isel({ [d0]: { kind: "slice", start, stop: null, step } });
        const rev = sel.transpose(...[...sel.dims].reverse());
        // reference: pick indices start, start+step, ... along dim 0
        const picked: number[] = [];
        for (let i = start; i < n0; i += step) picked.push(i);
        const inner = a.ref.data.length / n0;
        const data = Float64Array.from(
          picked.flatMap((i) => Array.from(a.ref.data.subarray(i * inner, (i + 1) * inner))),
        );
        const ref: RefArray = {
          dims: a.ref.dims,
          shape: [picked.length, ...a.ref.shape.slice(1)],
          data,
        };
        const [got, gotMean] = await compute([rev, sel.mean()], {
          executor: "inline",
          memory: budgetFor(rev.size + 1, memory),
        });
        const wantMean = refReduce(ref, ref.dims, refReducers.mean);
        assert.equal(closeEnough(gotMean.data, wantMean.data), undefined);
        // transposed: compare element by element through coordinates
        const revShape = [...ref.shape].reverse();
        for (let k = 0; k < got.data.length; k++) {
          let rem = k;
          const c: number[] = [];
          for (let d = revShape.length - 1; d >= 0; d--) {
            c[d] = rem % revShape[d];
            rem = Math.floor(rem / revShape[d]);
          }
          const orig = [...c].reverse();
          let off = 0;
          for (let d = 0; d < ref.shape.length; d++) off = off * ref.shape[d] + orig[d];
          assert.ok(Object.is(got.data[k], ref.data[off]) || got.data[k] === ref.data[off]);
        }
      },
    ),
    { numRuns: 100, timeout: 5000 },
  );
});
