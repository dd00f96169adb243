import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FsStore } from "../../../src/storage/fs-store.js";
import { createZarrArray, openZarr } from "../../../src/formats/zarr/index.js";
import { readBox } from "../../../src/array/read-box.js";
import { sizeOf } from "../../../src/array/chunked-array.js";

/** The box [start, stop) of a C-order array, element by element (the reference). */
function naiveBox(data: Float32Array, shape: number[], start: number[], stop: number[]): number[] {
  const out: number[] = [];
  if (stop.some((s, d) => s <= start[d])) return out;
  const idx = [...start];
  for (;;) {
    out.push(data[idx.reduce((off, v, d) => off * shape[d] + v, 0)]);
    let d = shape.length - 1;
    for (; d >= 0; d--) {
      if (++idx[d] < stop[d]) break;
      idx[d] = start[d];
    }
    if (d < 0) return out;
  }
}

function unravel(k: number, counts: readonly number[]): number[] {
  const out = new Array<number>(counts.length);
  for (let d = counts.length - 1; d >= 0; d--) {
    out[d] = k % counts[d];
    k = Math.floor(k / counts[d]);
  }
  return out;
}

const layouts = fc
  .array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      chunks: fc.tuple(...shape.map((s) => fc.integer({ min: 1, max: s + 1 }))),
      shardFactors: fc.option(fc.tuple(...shape.map(() => fc.integer({ min: 1, max: 3 })))),
      zarrFormat: fc.constantFrom(2 as const, 3 as const),
      compressor: fc.constantFrom(
        "zstd" as const,
        "blosc" as const,
        "gzip" as const,
        "none" as const,
      ),
      seed: fc.integer({ min: 0, max: 1000 }),
      boxes: fc.array(
        fc.tuple(
          ...shape.map((s) =>
            fc.tuple(fc.integer({ min: 0, max: s }), fc.integer({ min: 0, max: s })),
          ),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  );

test("write every chunk then read back is the identity, and readBox matches the in-memory array", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "dae-zarr-prop-"));
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        layouts,
        async ({ shape, chunks, shardFactors, zarrFormat, compressor, seed, boxes }) => {
          const store = new FsStore(path.join(root, String(run++)), true);
          const shards =
            zarrFormat === 3 && shardFactors
              ? chunks.map((c, d) => c * shardFactors[d])
              : undefined;
          const a = await createZarrArray(store, "v", {
            shape,
            dtype: "float32",
            dims: shape.map((_, d) => `d${d}`),
            chunks,
            shards,
            fillValue: NaN,
            compressor,
            zarrFormat,
          });
          const reference = new Float32Array(sizeOf(shape));
          const counts = a.chunks.counts;
          const written: Float32Array[] = [];
          for (let k = 0; k < sizeOf(counts); k++) {
            const coords = unravel(k, counts);
            const { start, stop } = a.chunks.chunkBox(coords);
            const extent = stop.map((s, d) => s - start[d]);
            // every third chunk is all fill: it must read back as NaN though nothing is stored
            const chunk = Float32Array.from({ length: sizeOf(extent) }, (_, i) =>
              (k + seed) % 3 === 0 ? NaN : k * 100 + i + seed,
            );
            await a.writeChunk(coords, chunk);
            written.push(chunk);
            for (let i = 0; i < chunk.length; i++) {
              const local = unravel(i, extent);
              reference[local.reduce((off, v, d) => off * shape[d] + v + start[d], 0)] = chunk[i];
            }
          }
          for (let k = 0; k < written.length; k++)
            assert.deepEqual(await a.readChunk(unravel(k, counts)), written[k]);
          const opened = (await openZarr(store)).variables.get("v")!;
          for (const box of boxes) {
            const start = box.map(([x, y]) => Math.min(x, y));
            const stop = box.map(([x, y]) => Math.max(x, y));
            const want = naiveBox(reference, shape, start, stop);
            assert.deepEqual([...(await readBox(opened, start, stop))], want);
            assert.deepEqual([...(await readBox(a, start, stop))], want);
          }
        },
      ),
      { numRuns: 120 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
