import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import path from "node:path";
import { FsStore } from "../../../src/storage/fs-store.js";
import { createZarrArray, openZarr } from "../../../src/formats/zarr/index.js";
import { readBox } from "../../../src/array/read-box.js";
import { ChunkCache } from "../../../src/array/chunk-cache.js";
import { sizeOf } from "../../../src/array/chunked-array.js";
import { limitScratch } from "../../../src/util/scratch-buffers.js";
import { tempDir } from "../../helpers.js";

/** The box [start, stop) of a C-order array, copied element by element (the reference). */
function sliceOf(
  data: Float32Array,
  shape: number[],
  start: number[],
  stop: number[],
): Float32Array {
  const extent = stop.map((s, d) => s - start[d]);
  const out = new Float32Array(sizeOf(extent));
  if (out.length === 0) return out;
  const idx = [...start];
  for (let i = 0; i < out.length; i++) {
    out[i] = data[idx.reduce((off, v, d) => off * shape[d] + v, 0)];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < stop[d]) break;
      idx[d] = start[d];
    }
  }
  return out;
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

// chunks of 40–250 KB, mostly above the 64 KB from which reads and decodes reuse scratch buffers
const layouts = fc.integer({ min: 2, max: 3 }).chain((n) =>
  fc.record({
    chunks: fc.tuple(
      ...Array.from({ length: n }, () =>
        n === 2 ? fc.integer({ min: 100, max: 250 }) : fc.integer({ min: 22, max: 40 }),
      ),
    ),
    counts: fc.tuple(
      ...Array.from({ length: n }, () => fc.integer({ min: 1, max: n === 2 ? 3 : 2 })),
    ),
    edge: fc.tuple(...Array.from({ length: n }, () => fc.integer({ min: 0, max: 7 }))),
    shardFactor: fc.option(fc.integer({ min: 1, max: 2 })),
    zarrFormat: fc.constantFrom(2 as const, 3 as const),
    compressor: fc.constantFrom("zstd" as const, "gzip" as const, "none" as const),
    cacheChunks: fc.integer({ min: 0, max: 4 }),
    scratchMB: fc.constantFrom(0, 1, 64),
    boxes: fc.array(
      fc.array(
        fc.tuple(
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
        ),
        { minLength: n, maxLength: n },
      ),
      {
        minLength: 2,
        maxLength: 8,
      },
    ),
  }),
);

test("reused scratch buffers never show through: concurrent box reads with a shared cache, and writes beside them, give the stored values", async (t) => {
  const root = tempDir(t);
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        layouts,
        async ({
          chunks,
          counts,
          edge,
          shardFactor,
          zarrFormat,
          compressor,
          cacheChunks,
          scratchMB,
          boxes,
        }) => {
          limitScratch(scratchMB << 20);
          const shape = chunks.map((c, d) => c * counts[d] + Math.min(edge[d], c - 1));
          const store = new FsStore(path.join(root, String(run++)), true);
          const shards =
            zarrFormat === 3 && shardFactor ? chunks.map((c) => c * shardFactor) : undefined;
          const dims = shape.map((_, d) => `d${d}`);
          const a = await createZarrArray(store, "a", {
            shape,
            dtype: "float32",
            dims,
            chunks,
            shards,
            fillValue: NaN,
            compressor,
            zarrFormat,
          });
          const reference = Float32Array.from({ length: sizeOf(shape) }, (_, i) =>
            i % 997 === 0 ? NaN : Math.sin(i * 0.37) * 1000 + run,
          );
          const coordsOf = (k: number, counts: number[]) =>
            counts.map(
              (_, d) => Math.floor(k / counts.slice(d + 1).reduce((p, c) => p * c, 1)) % counts[d],
            );
          // written a unit at a time (a shard, where there are shards)
          for (let k = 0; k < sizeOf(a.chunks.counts); k++) {
            const { start, stop } = a.chunks.chunkBox(coordsOf(k, a.chunks.counts));
            await a.writeChunk(
              coordsOf(k, a.chunks.counts),
              sliceOf(reference, shape, start, stop),
            );
          }
          const opened = (await openZarr(store)).variables.get("a")!;
          const copy = await createZarrArray(store, "b", {
            shape,
            dtype: "float32",
            dims,
            chunks,
            fillValue: NaN,
            compressor,
            zarrFormat,
          });
          const cache = new ChunkCache(cacheChunks * sizeOf(chunks) * 4);
          const read = async (box: [number, number][]) => {
            const start = box.map(([x, y], d) => Math.floor(Math.min(x, y) * shape[d]));
            const stop = box.map(([x, y], d) =>
              Math.max(start[d], Math.ceil(Math.max(x, y) * shape[d])),
            );
            const got = await readBox(opened, start, stop, { cache });
            assert.ok(
              sameBytes(got, sliceOf(reference, shape, start, stop)),
              `box [${start}]..[${stop}]`,
            );
          };
          // half the boxes read at once, the others one after another (hits of what the first cached)
          const half = boxes.length >> 1;
          const reads = boxes.slice(0, half).map(read);
          // read back a chunk at a time (inner chunks of shards) and copied to another array
          // while the reads run: encodes take scratch buffers too
          const inner = opened.chunks.counts;
          const writes = (async () => {
            for (let k = 0; k < sizeOf(inner); k++)
              await copy.writeChunk(coordsOf(k, inner), await opened.readChunk(coordsOf(k, inner)));
          })();
          await Promise.all([...reads, writes]);
          for (const box of boxes.slice(half)) await read(box);
          const back = await readBox(
            (await openZarr(store)).variables.get("b")!,
            shape.map(() => 0),
            shape,
          );
          assert.ok(sameBytes(back, reference), "the copy holds every value");
        },
      ),
      { numRuns: 40 },
    );
  } finally {
    limitScratch(64 << 20);
  }
});
