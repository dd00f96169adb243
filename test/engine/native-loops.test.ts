import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { compute } from "../../src/api/compute.js";
import { copyBox, copyBoxToParts } from "../../src/array/copy-box.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { useNativeLoops, type NativeLoops } from "../../src/util/native-loops.js";

const DIMS = ["time", "y", "x"];

/** Element i of `a` and `b` are the same number, to the bit (NaN equal to NaN). */
function assertSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i]))
      assert.fail(`${what}: element ${i} is ${a[i]} in C, ${b[i]} in TypeScript`);
}

test("the C loops are built where npm ci ran (unless switched off)", () => {
  const built = useNativeLoops(true);
  if (process.env.DAE_NATIVE_KERNELS === "0") assert.equal(built, false);
  else
    assert.equal(
      built,
      true,
      "dae-native-kernels did not build or load: the engine runs the slower TypeScript loops",
    );
});

test("means, sums, rolling sums/means/counts and + - * / are the same to the bit in C and in TypeScript", async (t) => {
  if (!useNativeLoops(true)) return t.skip("dae-native-kernels is not built here");
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 1100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (time, y, x, chunkT, window, center, float32, nanShare, seed) => {
          const n = time * y * x;
          const values = float32 ? new Float32Array(n) : new Float64Array(n);
          let s = seed;
          for (let i = 0; i < n; i++) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const u = s / 2 ** 32;
            values[i] = u < nanShare ? NaN : (u - 0.5) * 1e4 + (i % 7 === 0 ? 1e12 : 0);
          }
          const a = fromArray(values, {
            shape: [time, y, x],
            dims: DIMS,
            chunks: [chunkT, y, Math.max(1, x >> 1)],
          });
          const w = Math.min(window, time);
          const r = a.rolling({ time: w }, { center, minPeriods: 1 + (seed % w) });
          const other = a.astype(float32 ? "float64" : "float32").mul(0.75);
          const arrays: LazyArray[] = [
            a.mean("time"),
            a.sum("time", { skipna: false }),
            a.sum("time"),
            r.mean(),
            r.sum(),
            r.count(),
            // arithmetic between blocks of one type and of two, and with numbers on either side
            a.add(a.mean("time")),
            a.sub(other),
            other.div(a),
            a.mul(1.1),
            a.div(3),
          ];
          const run = async (native: boolean) => {
            useNativeLoops(native);
            return compute(arrays, { executor: "inline", memory: "64MB" });
          };
          const [c, js] = [await run(true), await run(false)];
          c.forEach((g, i) =>
            assertSameBits(
              g.data as ArrayLike<number>,
              js[i].data as ArrayLike<number>,
              `result ${i}`,
            ),
          );
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    useNativeLoops(true);
  }
});

test("boxes copied between buffers are the same in C and in TypeScript", () => {
  if (!useNativeLoops(true)) return;
  const loops = createRequire(import.meta.url)("dae-native-kernels") as NativeLoops;
  try {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(Float32Array, Float64Array, Int16Array, Uint8Array),
        (dstShape, seed, Class) => {
          let r = seed;
          const rand = (n: number) => {
            r = (Math.imul(r, 1103515245) + 12345) >>> 0;
            return r % n;
          };
          // a box inside dst, and a src holding it somewhere inside a larger shape
          const extent = dstShape.map((n) => 1 + rand(n));
          const dstStart = dstShape.map((n, d) => rand(n - extent[d] + 1));
          const srcShape = extent.map((e) => e + rand(5));
          const srcStart = srcShape.map((n, d) => rand(n - extent[d] + 1));
          const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
          const src = new Class(size(srcShape)).map((_, i) => (i * 7) % 101);
          const inC = new Class(size(dstShape)).fill(3);
          assert.equal(
            loops.copyBox(src, srcShape, srcStart, inC, dstShape, dstStart, extent),
            true,
          );
          useNativeLoops(false);
          const inTs = new Class(size(dstShape)).fill(3);
          copyBox(src, srcShape, srcStart, inTs, dstShape, dstStart, extent);
          const copies = [Array.from(inC), Array.from(inTs)];
          assert.deepEqual(copies[0], copies[1]);
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    useNativeLoops(true);
  }
});

test("boxes split into parts side by side are the same in C and in TypeScript", () => {
  if (!useNativeLoops(true)) return;
  const loops = createRequire(import.meta.url)("dae-native-kernels") as NativeLoops;
  try {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(Float32Array, Float64Array, Int16Array, Uint8Array),
        (lead, widths, seed, Class) => {
          let r = seed;
          const rand = (n: number) => {
            r = (Math.imul(r, 1103515245) + 12345) >>> 0;
            return r % n;
          };
          // the box: leading extents, then the parts' widths side by side along the last dim
          const extent = [...lead.slice(1), widths.reduce((a, b) => a + b, 0)];
          const srcShape = extent.map((e) => e + rand(4));
          const srcStart = srcShape.map((n, d) => rand(n - extent[d] + 1));
          const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
          const src = new Class(size(srcShape)).map((_, i) => (i * 7) % 101);
          const rows = size(extent.slice(0, -1));
          const inC = widths.map((w) => new Class(rows * w).fill(3));
          assert.equal(loops.copyBoxToParts(src, srcShape, srcStart, extent, inC, widths), true);
          useNativeLoops(false);
          const inTs = widths.map((w) => new Class(rows * w).fill(3));
          copyBoxToParts(src, srcShape, srcStart, extent, inTs, widths);
          assert.deepEqual(
            inC.map((a) => Array.from(a)),
            inTs.map((a) => Array.from(a)),
          );
          useNativeLoops(true);
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    useNativeLoops(true);
  }
});

test("the C loops refuse arrays shorter than the shapes they are given, instead of reading past them", (t) => {
  if (!useNativeLoops(true)) return t.skip("dae-native-kernels is not built here");
  const loops = createRequire(import.meta.url)("dae-native-kernels") as NativeLoops;
  const state = () => new Float64Array(10);
  assert.throws(
    () => loops.foldSumPlanes(state(), state(), new Float32Array(29), 3, true),
    RangeError,
  );
  assert.throws(
    () => loops.foldSumPlanes(state(), new Float64Array(9), new Float32Array(30), 3, true),
    RangeError,
  );
  // a rolling sum of 2 rows of 10 along the middle dim, two windows ending at `his`
  const sumRows = (val: ArrayBufferView, his: number[], out: ArrayBufferView) =>
    loops.sumRows(val, 1, 2, 10, Int32Array.from([0, 1]), Int32Array.from(his), out, 0, 1, false);
  assert.throws(() => sumRows(new Float32Array(19), [1, 2], new Float32Array(20)), RangeError);
  assert.throws(() => sumRows(new Float32Array(20), [1, 3], new Float32Array(20)), RangeError);
  assert.throws(() => sumRows(new Float32Array(20), [1, 2], new Float32Array(19)), RangeError);

  assert.throws(() => loops.unshuffle(new Uint8Array(8), new Uint8Array(12), 4), RangeError);
  assert.throws(() => loops.unshuffle(new Uint8Array(10), new Uint8Array(10), 4), RangeError);
  const shuffled = Uint8Array.from([1, 2, 3, 10, 20, 30]); // bytes 0 of three 2-byte elements, then bytes 1
  const unshuffled = new Uint8Array(6);
  loops.unshuffle(shuffled, unshuffled, 2);
  assert.deepEqual([...unshuffled], [1, 10, 2, 20, 3, 30]);
  assert.throws(() => loops.arithmetic(4, new Float32Array(2), 1, new Float32Array(2)), RangeError);
  assert.equal(
    loops.arithmetic(0, new Float32Array(3), new Float32Array(2), 1),
    false,
    "an operand shorter than out",
  );
  assert.equal(loops.arithmetic(0, new Float32Array(3), 1, 2), false, "two numbers");
  assert.equal(loops.arithmetic(0, new Int32Array(3), new Float32Array(3), 1), false);
  const quotient = new Float32Array(2);
  loops.arithmetic(3, quotient, 1, Float64Array.from([3, 0]));
  assert.deepEqual([...quotient], [Math.fround(1 / 3), Infinity]);
  assert.throws(
    () => loops.copyBox(new Float32Array(10), [10], [5], new Float32Array(10), [10], [0], [6]),
    RangeError,
  );
  assert.throws(
    () =>
      loops.copyBox(
        new Float32Array(10),
        [2, 5],
        [0, 0],
        new Float32Array(9),
        [3, 3],
        [0, 0],
        [2, 4],
      ),
    RangeError,
  );
  assert.throws(
    () => loops.copyBox(new Float32Array(10), [10], [0], new Float64Array(10), [10], [0], [2]),
    RangeError,
  );
  assert.equal(
    loops.copyBox(
      new Float32Array(10),
      Int32Array.from([10]) as never,
      [0],
      new Float32Array(10),
      [10],
      [0],
      [2],
    ),
    false,
  );
  const parts = (...lengths: number[]) => lengths.map((n) => new Float32Array(n));
  assert.throws(
    () => loops.copyBoxToParts(new Float32Array(12), [2, 6], [0, 0], [2, 6], parts(8, 3), [4, 2]),
    RangeError,
    "a part too short",
  );
  assert.throws(
    () => loops.copyBoxToParts(new Float32Array(11), [2, 6], [0, 0], [2, 6], parts(8, 4), [4, 2]),
    RangeError,
    "src too short",
  );
  assert.throws(
    () => loops.copyBoxToParts(new Float32Array(12), [2, 6], [0, 0], [2, 6], parts(8, 4), [4, 1]),
    RangeError,
    "widths not adding up",
  );
  assert.throws(
    () =>
      loops.copyBoxToParts(
        new Float32Array(12),
        [2, 6],
        [0, 0],
        [2, 6],
        [new Float32Array(8), new Float64Array(4)],
        [4, 2],
      ),
    RangeError,
  );
  const split = parts(8, 4);
  assert.equal(
    loops.copyBoxToParts(
      Float32Array.from({ length: 12 }, (_, i) => i),
      [2, 6],
      [0, 0],
      [2, 6],
      split,
      [4, 2],
    ),
    true,
  );
  assert.deepEqual(
    split.map((a) => [...a]),
    [
      [0, 1, 2, 3, 6, 7, 8, 9],
      [4, 5, 10, 11],
    ],
  );
  // inflate: whole streams into a buffer that holds them, errors for anything else
  const raw = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251);
  const packed = new Uint8Array(deflateSync(raw));
  const into = new Uint8Array(5000);
  assert.equal(loops.inflateInto(packed, into), 5000);
  assert.deepEqual(into, raw);
  assert.equal(
    loops.inflateInto(packed, new Uint8Array(6000)),
    5000,
    "a larger buffer: the bytes written",
  );
  assert.throws(
    () => loops.inflateInto(packed, new Uint8Array(4999)),
    /more data than the buffer holds/,
  );
  assert.throws(
    () => loops.inflateInto(packed.subarray(0, packed.length - 10), into),
    /ends early/,
  );
  const damaged = packed.slice();
  damaged[0] ^= 0xff;
  assert.throws(() => loops.inflateInto(damaged, into), /header|invalid|damaged/i);
  assert.throws(
    () => loops.inflateInto(packed as never, new Float32Array(10) as never),
    RangeError,
  );
  // kinds it does not take are left to the TypeScript loop
  assert.equal(loops.foldSumPlanes(state(), state(), new Int16Array(30), 3, true), false);
  assert.equal(sumRows(new Float32Array(20), [1, 2], new Uint8Array(20)), false);
  // and what they take, they compute
  const sum = state();
  const count = state();
  assert.equal(
    loops.foldSumPlanes(
      sum,
      count,
      Float32Array.from({ length: 30 }, (_, i) => (i === 4 ? NaN : i)),
      3,
      true,
    ),
    true,
  );
  assert.deepEqual([...sum.slice(3, 6)], [3 + 13 + 23, 14 + 24, 5 + 15 + 25]);
  assert.deepEqual([...count.slice(3, 6)], [3, 2, 3]);
});
