import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BlockPool } from "../../src/array/block-pool.js";
import { sizeOf } from "../../src/array/chunked-array.js";
import { copyBox, copyBoxToParts } from "../../src/array/copy-box.js";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { chunkRuns, contiguousOffset, writeBlock } from "../../src/exec/run-task.js";
import { WriteQueue } from "../../src/exec/write-queue.js";
import type { TypedArray } from "../../src/array/dtype.js";

const shapes = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 });

test("copyBoxToParts fills each part as copyBox would (random shapes, boxes and splits)", () => {
  fc.assert(
    fc.property(
      shapes.chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          start: fc.tuple(...shape.map((s) => fc.integer({ min: 0, max: s - 1 }))),
          fractions: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
        }),
      ),
      ({ shape, start, fractions }) => {
        const src = Float32Array.from({ length: sizeOf(shape) }, (_, i) => i + 0.25);
        const extent = shape.map((s, d) => s - start[d]);
        const n = shape.length;
        // split the last extent into widths of at least 1
        const widths: number[] = [];
        let left = extent[n - 1];
        for (const f of fractions)
          if (left > 0) {
            widths.push(Math.min(left, f));
            left -= Math.min(left, f);
          }
        if (left > 0) widths.push(left);
        const lead = extent.slice(0, -1);
        const parts = widths.map((w) => new Float32Array(sizeOf([...lead, w])));
        copyBoxToParts(src, shape, start, extent, parts, widths);
        let x = start[n - 1];
        widths.forEach((w, p) => {
          const want = new Float32Array(sizeOf([...lead, w]));
          copyBox(
            src,
            shape,
            [...start.slice(0, -1), x],
            want,
            [...lead, w],
            [...lead, w].map(() => 0),
            [...lead, w],
          );
          assert.deepEqual(parts[p], want);
          x += w;
        });
      },
    ),
  );
});

test("chunkRuns yields every chunk once, in C order, in runs along the last dim of at most perRun", () => {
  fc.assert(
    fc.property(
      shapes.chain((last) =>
        fc.record({
          last: fc.constant(last),
          first: fc.tuple(...last.map((l) => fc.integer({ min: 0, max: l - 1 }))),
          perRun: fc.integer({ min: 1, max: 4 }),
        }),
      ),
      ({ first, last, perRun }) => {
        const seen: string[] = [];
        for (const run of chunkRuns(first, last, perRun)) {
          assert.ok(run.length >= 1 && run.length <= perRun);
          run.forEach((c, k) => k > 0 && assert.deepEqual(c.slice(0, -1), run[0].slice(0, -1)));
          seen.push(...run.map((c) => c.join(",")));
        }
        const want: string[] = [];
        const idx = [...first];
        for (;;) {
          want.push(idx.join(","));
          let d = idx.length - 1;
          for (; d >= 0; d--) {
            if (++idx[d] < last[d]) break;
            idx[d] = first[d];
          }
          if (d < 0) break;
        }
        assert.deepEqual(seen, want);
      },
    ),
  );
  assert.deepEqual([...chunkRuns([], [], 3)], [[[]]], "a 0-d array has one chunk");
});

test("writeBlock writes a block's chunks with the values of the block (random shapes, chunks and blocks)", async () => {
  await fc.assert(
    fc.asyncProperty(
      shapes.chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          chunks: fc.tuple(...shape.map((s) => fc.integer({ min: 1, max: s }))),
          mult: fc.tuple(...shape.map(() => fc.integer({ min: 1, max: 3 }))),
          at: fc.tuple(...shape.map(() => fc.nat())),
          pooled: fc.boolean(),
          queued: fc.boolean(),
          delays: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        }),
      ),
      async ({ shape, chunks, mult, at, pooled, queued, delays }) => {
        const out = new Float64Array(sizeOf(shape)).fill(-1);
        const memory = fromTypedArray(out, { shape, chunks });
        // writes that finish out of order, after the parts they were encoded from are refilled
        let inFlight = 0;
        let most = 0;
        let n = 0;
        const target = {
          ...memory,
          writeChunk: memory.writeChunk,
          async encodeChunk(coords: readonly number[], data: TypedArray) {
            const encoded = data.slice();
            return async () => {
              most = Math.max(most, ++inFlight);
              for (let i = delays[n++ % delays.length]; i > 0; i--)
                await new Promise((r) => setImmediate(r));
              await memory.writeChunk(coords, encoded);
              inFlight--;
            };
          },
        };
        const writes = queued ? new WriteQueue(2) : undefined;
        const block = shape.map((s, d) => Math.min(s, chunks[d] * mult[d]));
        const start = shape.map((s, d) => (at[d] % Math.ceil(s / block[d])) * block[d]);
        const stop = start.map((s, d) => Math.min(shape[d], s + block[d]));
        const extent = stop.map((s, d) => s - start[d]);
        const whole = Float64Array.from({ length: out.length }, (_, i) => i * 2 + 1);
        const data = new Float64Array(sizeOf(extent));
        copyBox(
          whole,
          shape,
          start,
          data,
          extent,
          extent.map(() => 0),
          extent,
        );
        const scope = pooled ? new BlockPool().scope(1 << 30) : undefined;
        const bytes = await writeBlock(target, chunks, { start, stop }, data, scope, writes);
        await writes?.drain();
        assert.equal(bytes, data.byteLength);
        assert.ok(most <= 2, `${most} writes at once`);
        // inside the box: the block's values; outside: untouched
        out.forEach((v, i) => {
          let r = i;
          const idx = shape.map(() => 0);
          for (let d = shape.length - 1; d >= 0; d--) {
            idx[d] = r % shape[d];
            r = Math.floor(r / shape[d]);
          }
          const inside = idx.every((x, d) => x >= start[d] && x < stop[d]);
          assert.equal(v, inside ? whole[i] : -1, `element [${idx}]`);
        });
      },
    ),
  );
});

test("writeBlock of a 0-d block writes its one chunk", async () => {
  const out = new Float64Array(1);
  await writeBlock(
    fromTypedArray(out, { shape: [] }),
    [],
    { start: [], stop: [] },
    Float64Array.of(4.5),
  );
  assert.equal(out[0], 4.5);
});

test("a write queue: a failed write fails the task's next write or its drain, and settle waits for every write", async () => {
  const q = new WriteQueue(3);
  const landed: number[] = [];
  let failureLanded: () => void = () => {};
  const failed = new Promise<void>((r) => (failureLanded = r));
  const later =
    (i: number, fail = false) =>
    async () => {
      await new Promise((r) => setTimeout(r, 5 * i));
      if (fail) {
        setImmediate(failureLanded); // once the queue has seen the rejection
        throw new Error(`write ${i} failed`);
      }
      landed.push(i);
    };
  await q.add(later(3));
  await q.add(later(1, true));
  await failed;
  await assert.rejects(q.add(later(2)), /write 1 failed/);
  await q.settle();
  assert.deepEqual(landed.sort(), [3], "the write started before the failure landed; none after");
  await assert.rejects(q.drain(), /write 1 failed/);
  const ok = new WriteQueue(2);
  for (let i = 0; i < 5; i++) await ok.add(later(i % 2));
  await ok.drain();
});

test("contiguousOffset: a box is one stretch of its block exactly when its C-order offsets are consecutive", () => {
  fc.assert(
    fc.property(
      shapes.chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          from: fc.tuple(...shape.map((s) => fc.integer({ min: 0, max: s - 1 }))),
          cut: fc.tuple(...shape.map(() => fc.nat())),
        }),
      ),
      ({ shape, from, cut }) => {
        const extent = shape.map((s, d) => 1 + (cut[d] % (s - from[d])));
        const offsets: number[] = [];
        const idx = [...from];
        for (;;) {
          offsets.push(idx.reduce((o, x, d) => o * shape[d] + x, 0));
          let d = idx.length - 1;
          for (; d >= 0; d--) {
            if (++idx[d] < from[d] + extent[d]) break;
            idx[d] = from[d];
          }
          if (d < 0) break;
        }
        const consecutive = offsets.every((o, i) => i === 0 || o === offsets[i - 1] + 1);
        assert.equal(contiguousOffset(shape, from, extent), consecutive ? offsets[0] : undefined);
      },
    ),
  );
});
