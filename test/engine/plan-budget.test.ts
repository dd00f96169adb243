import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromArray } from "../../src/api/open-dataset.js";
import { plan } from "../../src/api/compute.js";
import { ChunkGrid } from "../../src/array/chunk-grid.js";
import { runPlan } from "../../src/exec/coordinator.js";
import { InlineExecutor } from "../../src/exec/inline-executor.js";
import { openSource } from "../../src/exec/sources.js";
import { taskPeak } from "../../src/plan/memory.js";
import { totalTasks } from "../../src/plan/plan.js";
import { closeEnough, refBinary, refReduce, refReducers } from "./reference.js";
import { countingTarget } from "../helpers.js";

test("plans under tight budgets stream, respect the budget per task, and write each output chunk once", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        t: fc.integer({ min: 5, max: 40 }),
        y: fc.integer({ min: 3, max: 24 }),
        x: fc.integer({ min: 3, max: 24 }),
        ca: fc.tuple(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
        ),
        cb: fc.tuple(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 11 })),
        out: fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 })),
        fn: fc.constantFrom("mean", "std", "max", "sum", "count"),
        budgetKB: fc.integer({ min: 48, max: 400 }),
        workers: fc.integer({ min: 1, max: 3 }),
      }),
      async ({ t, y, x, ca, cb, out, fn, budgetKB, workers }) => {
        const aData = Float64Array.from(
          { length: t * y * x },
          (_, i) => ((i * 7919) % 101) - 50 + (i % 13 === 0 ? NaN : 0),
        );
        const bData = Float64Array.from({ length: y * x }, (_, i) => i * 0.5);
        const a = fromArray(aData, { shape: [t, y, x], dims: ["t", "y", "x"], chunks: ca });
        const b = fromArray(bData, { shape: [y, x], dims: ["y", "x"], chunks: cb });
        const expr = (a.sub(b) as unknown as Record<string, (d: string) => typeof a>)[fn].call(
          a.sub(b),
          "t",
        );
        const chunkShape = [Math.min(out[0], y), Math.min(out[1], x)];
        const { target, writes, inner } = countingTarget([y, x], ["y", "x"], chunkShape);
        const memory = budgetKB * 1024;
        let p;
        try {
          p = plan(
            [expr],
            [{ kind: "zarr", url: "memory", path: "out", zarrFormat: 3 }],
            { memory, workers, executor: workers > 1 ? "threads" : "inline" },
            () => chunkShape,
          );
        } catch (e) {
          // refusing is allowed only before running, with a message that says why
          assert.match((e as Error).message, /over .* per task|budget/);
          return;
        }
        // the promise: every task's projected peak, times the workers the plan runs (the
        // executor's concurrency: at most those asked for), fits the budget
        const running = p.memory.workers;
        assert.ok(running >= 1 && running <= workers, `${running} workers planned of ${workers}`);
        for (let k = 0; k < totalTasks(p); k++) {
          const peak = taskPeak(p, k);
          assert.ok(peak * running <= memory, `task ${k}: ${peak} × ${running} > ${memory}`);
        }
        await runPlan(p, new InlineExecutor({ openSource, openTarget: async () => target }), {
          openSource,
          openTarget: async () => target,
        });
        const want = refReduce(
          refBinary(
            { dims: ["t", "y", "x"], shape: [t, y, x], data: aData },
            { dims: ["y", "x"], shape: [y, x], data: bData },
            (u, v) => u - v,
          ),
          ["t"],
          refReducers[fn],
        );
        const got = new Float64Array(y * x);
        const all = await (
          await import("../../src/array/read-box.js")
        ).readBox(inner, [0, 0], [y, x]);
        got.set(all as Float64Array);
        assert.equal(closeEnough(got, want.data, 1e-9), undefined);
        const grid = ChunkGrid.regular([y, x], chunkShape);
        assert.equal(writes.size, grid.totalCount, "every output chunk written");
        for (const [k, n] of writes) assert.equal(n, 1, `chunk ${k} written ${n} times`);
      },
    ),
    { numRuns: 200 },
  );
});

test("a budget too small to share among the workers gives fewer workers, not many decodes of each chunk", async () => {
  const [t, y, x] = [40, 64, 64];
  const data = Float64Array.from({ length: t * y * x }, (_, i) => (i * 37) % 101);
  const a = fromArray(data, { shape: [t, y, x], dims: ["t", "y", "x"], chunks: [10, 32, 64] });
  const ratios: string[] = [];
  let fewer: ReturnType<typeof plan> | undefined;
  for (let kb = 128; kb <= 8192; kb *= 2) {
    let p;
    try {
      p = plan([a.mean("t")], [{ kind: "memory" }], { memory: kb * 1024, workers: 2 });
    } catch {
      continue; // too small for any number of workers: refused before running
    }
    const ratio = (q: typeof p) => Math.max(...q.decodes.map((d) => d.decodes / d.chunks));
    // one worker with the whole budget decodes least: the plan chosen decodes at most
    // twice per chunk, or no more than that
    const alone = plan([a.mean("t")], [{ kind: "memory" }], { memory: kb * 1024, workers: 1 });
    ratios.push(
      `${kb} KB: ${p.memory.workers} worker(s), ${ratio(p)} decodes per chunk (one worker: ${ratio(alone)})`,
    );
    assert.ok(ratio(p) <= Math.max(2, ratio(alone)), ratios.join("; "));
    if (p.memory.workers === 1 && ratio(p) === 1) fewer ??= p;
  }
  assert.ok(fewer, `some budget runs on one worker: ${ratios.join("; ")}`);
  assert.match(fewer.notes.join(), /1 of 2 workers/);
  const [got] = await runPlan(
    fewer,
    new InlineExecutor({
      openSource,
      openTarget: async () => {
        throw new Error("no target");
      },
    }),
    {
      openSource,
      openTarget: async () => {
        throw new Error("no target");
      },
    },
  );
  const want = refReduce(
    { dims: ["t", "y", "x"], shape: [t, y, x], data },
    ["t"],
    refReducers.mean,
  );
  assert.equal(closeEnough(got as Float64Array, want.data, 1e-12), undefined);
});

test("an array stored as one chunk is projected as one decoded chunk, so reductions of it are not cut into tiny slabs", () => {
  // basin_mask.nc's shape: NetCDF-3 stores a variable as one chunk. Projected as if every slab
  // could straddle two chunks per dim, the chunk counted 8 times (3-D): min, max and a check of
  // the same input were then folded in 2-element slabs, a million of them (valueCounts on the
  // decoded file took 26 s instead of 0.3 s).
  const shape = [33, 180, 360];
  const a = fromArray(new Float32Array(33 * 180 * 360), {
    shape,
    dims: ["z", "y", "x"],
    chunks: shape,
  });
  const roots = [a.min(), a.max(), a.ne(a.round()).and(a.notnull()).any()];
  const p = plan(
    roots,
    roots.map(() => ({ kind: "memory" as const })),
    { memory: "256MB", executor: "inline" },
  );
  for (const slab of Object.values(p.slabs))
    for (const d of ["z", "y", "x"]) {
      const extent = slab[d] ?? shape[["z", "y", "x"].indexOf(d)];
      assert.ok(extent >= shape[["z", "y", "x"].indexOf(d)] / 2, `slab ${JSON.stringify(slab)}`);
    }
});
