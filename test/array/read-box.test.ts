import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { readBox } from "../../src/array/read-box.js";
import { ChunkCache } from "../../src/array/chunk-cache.js";
import { ChunkGrid, DimChunks } from "../../src/array/chunk-grid.js";
import { sizeOf } from "../../src/array/chunked-array.js";
import { naiveBox } from "../formats/netcdf3/oracle.js";

const arrayAndBox = fc
  .array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      chunks: fc.tuple(...shape.map((s) => fc.integer({ min: 1, max: s + 1 }))),
      irregular: fc.boolean(),
      box: fc.tuple(
        ...shape.map((s) =>
          fc
            .tuple(fc.integer({ min: 0, max: s }), fc.integer({ min: 0, max: s }))
            .map(([a, b]) => [Math.min(a, b), Math.max(a, b)]),
        ),
      ),
    }),
  );

test("readBox equals the same box of the in-memory array (random shapes, chunks, boxes)", async () => {
  await fc.assert(
    fc.asyncProperty(arrayAndBox, async ({ shape, chunks, irregular, box }) => {
      const data = Float64Array.from({ length: sizeOf(shape) }, (_, i) => i * 1.5 - 7);
      const grid = irregular
        ? new ChunkGrid(shape.map((s, d) => DimChunks.irregular(splitIrregular(s, chunks[d]))))
        : ChunkGrid.regular(shape, chunks);
      const a = fromTypedArray(data, { shape, chunks: grid });
      const start = box.map((b) => b[0]);
      const stop = box.map((b) => b[1]);
      const cache = new ChunkCache(1 << 20);
      const got = await readBox(a, start, stop, { cache });
      assert.deepEqual([...got], naiveBox(data, shape, start, stop));
    }),
    { numRuns: 300 },
  );
});

test("writeChunk then readChunk is the identity", async () => {
  await fc.assert(
    fc.asyncProperty(arrayAndBox, async ({ shape, chunks }) => {
      const a = fromTypedArray(new Float64Array(sizeOf(shape)), { shape, chunks });
      const written: Float64Array[] = [];
      const counts = a.chunks.counts;
      const total = sizeOf(counts);
      for (let k = 0; k < total; k++) {
        const coords = unravel(k, counts);
        const chunk = Float64Array.from(
          { length: sizeOf(a.chunks.chunkExtent(coords)) },
          (_, i) => k * 1000 + i,
        );
        await a.writeChunk(coords, chunk);
        written.push(chunk);
      }
      for (let k = 0; k < total; k++)
        assert.deepEqual(await a.readChunk(unravel(k, counts)), written[k]);
    }),
    { numRuns: 100 },
  );
});

test("readBox names the array and dimension for a box outside the shape", async () => {
  const a = fromTypedArray(new Float32Array(6), {
    shape: [2, 3],
    dims: ["y", "x"],
    source: "t.zarr/v",
  });
  await assert.rejects(
    readBox(a, [0, 0], [2, 4]),
    /t\.zarr\/v: box .* outside shape \[2,3\] on dimension x/,
  );
});

function splitIrregular(n: number, seed: number): number[] {
  const out: number[] = [];
  let left = n;
  let k = seed;
  while (left > 0) {
    const s = Math.min(left, (k % 3) + 1);
    out.push(s);
    left -= s;
    k += 2;
  }
  return out;
}

function unravel(k: number, counts: number[]): number[] {
  const out = new Array<number>(counts.length);
  for (let d = counts.length - 1; d >= 0; d--) {
    out[d] = k % counts[d];
    k = Math.floor(k / counts[d]);
  }
  return out;
}
