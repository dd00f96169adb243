import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { plan } from "../../src/api/compute.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { fromArray, fromChunked } from "../../src/api/open-dataset.js";
import { fullBox } from "../../src/core/box.js";
import { distinctBlocks, planningCounts } from "../../src/plan/distinct-blocks.js";
import { sourceReads } from "../../src/plan/propagate.js";
import { overlap } from "../../src/plan/source-chunks.js";
import { phantom } from "../helpers.js";

test("distinct block positions stand for every block: per read and source dim, the weighted chunk counts, their most and what is driven equal a walk of every block", () => {
  const dim = fc.integer({ min: 1, max: 60 });
  fc.assert(
    fc.property(
      fc.tuple(dim, dim),
      fc.tuple(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 })),
      fc.tuple(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 })),
      fc.constantFrom("plain", "rolling", "isel", "coarsen", "add", "reversed", "groups"),
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 1, max: 17 }),
      (shape, ca, cb, op, d, extent) => {
        const values = new Float32Array(shape[0] * shape[1]);
        const a = fromArray(values, { shape, dims: ["t", "x"], chunks: ca });
        const b = fromArray(values, { shape, dims: ["t", "x"], chunks: cb });
        const n = shape[0];
        const ops: Record<string, () => LazyArray> = {
          plain: () => a,
          rolling: () => a.rolling({ t: Math.min(n, 3) }).mean(),
          isel: () => a.isel({ t: { kind: "slice", start: Math.floor(n / 3), stop: n, step: 2 } }),
          coarsen: () => a.coarsen({ t: Math.min(n, 2) }, { boundary: "trim" }).mean(),
          add: () => a.add(b.rolling({ t: Math.min(n, 2) }).sum()),
          reversed: () => a.isel({ t: { kind: "slice", start: n - 1, stop: -n - 1, step: -1 } }),
          groups: () =>
            fromArray(values, {
              shape,
              dims: ["t", "x"],
              chunks: ca,
              coords: { t: Float64Array.from({ length: n }, (_, i) => i % 4) },
            })
              .groupby("t")
              .mean(),
        };
        const root = ops[op]().built;
        const node = root.node;
        const e = Math.min(extent, Math.max(1, node.shape[d]));
        const { blocks, drives } = distinctBlocks(root.graph, [node], d, e);
        const whole = sourceReads(root.graph, [node], fullBox(node.shape));
        // every block, walked
        const every: (typeof whole)[] = [];
        for (let s = 0; s < node.shape[d]; s += e) {
          const box = fullBox(node.shape);
          box.start[d] = s;
          box.stop[d] = Math.min(node.shape[d], s + e);
          every.push(sourceReads(root.graph, [node], box));
        }
        assert.equal(
          blocks.reduce((s, x) => s + x.weight, 0),
          every.length,
        );
        whole.forEach((w, k) =>
          w.source.dims.forEach((_, j) => {
            const count = (r: typeof whole) =>
              overlap(w.source, j, r[k].box.start[j], r[k].box.stop[j]);
            assert.equal(
              blocks.reduce((s, x) => s + x.weight * count(x.reads), 0),
              every.reduce((s, r) => s + count(r), 0),
              `${op}: read ${k}, dim ${j}`,
            );
            assert.equal(
              Math.max(0, ...blocks.map((x) => count(x.reads))),
              Math.max(0, ...every.map(count)),
            );
            assert.equal(
              drives[k][j],
              every.some(
                (r) => r[k].box.start[j] !== w.box.start[j] || r[k].box.stop[j] !== w.box.stop[j],
              ),
            );
          }),
        );
      },
    ),
    { numRuns: 400, seed: 20261208 },
  );
});

test("the shape that kept CI's planner fuzz busy for minutes (200,000 one-row chunks along a dim) plans walking a few hundred block positions", () => {
  // float32 310 × 200,000 × 41,341, chunks 310 × 1 × 856; A and A*2 to Zarr, 1 GB, 2 workers
  const A = fromChunked(phantom([310, 200_000, 41_341], [310, 1, 856], ["t", "y", "x"]), {
    name: "A",
  });
  const results = [A, A.rename("second").mul(2)];
  const before = planningCounts.blocksWalked;
  const p = plan(
    results,
    results.map((r) => ({ kind: "zarr", url: "mem://out", path: r.name, zarrFormat: 3 })),
    { memory: 1 << 30, workers: 2, executor: "threads" },
  );
  const walked = planningCounts.blocksWalked - before;
  assert.ok(walked < 2000, `${walked} block positions walked`);
  assert.ok(p.memory.total <= 1 << 30);
  // each chunk decoded once per output group: blocks span whole chunks
  assert.deepEqual(
    p.decodes.map((x) => x.decodes / x.chunks),
    [1],
  );
});
