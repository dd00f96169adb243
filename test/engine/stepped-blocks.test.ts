import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { plan } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { ChunkGrid } from "../../src/array/chunk-grid.js";
import { readBox } from "../../src/array/read-box.js";
import { runPlan } from "../../src/exec/coordinator.js";
import { InlineExecutor } from "../../src/exec/inline-executor.js";
import { openSource } from "../../src/exec/sources.js";
import { taskPeak } from "../../src/plan/memory.js";
import { totalTasks } from "../../src/plan/plan.js";
import {
  closeEnough,
  coordsToIndex,
  indexToCoords,
  refBinary,
  type RefArray,
} from "./reference.js";
import { countingTarget } from "../helpers.js";

/** A trailing rolling sum of `w` along dim 0 (NaN where the window is not full or holds a NaN), looped naively. */
function refRollingSum(a: RefArray, w: number): RefArray {
  const out = new Float64Array(a.data.length);
  for (let k = 0; k < out.length; k++) {
    const c = indexToCoords(k, a.shape);
    let s = c[0] + 1 < w ? NaN : 0;
    for (let i = 0; i < w && !Number.isNaN(s); i++)
      s += a.data[coordsToIndex([c[0] - i, ...c.slice(1)], a.shape)];
    out[k] = s;
  }
  return { ...a, data: out };
}

const shapeArb = fc.tuple(
  fc.integer({ min: 32, max: 96 }),
  fc.integer({ min: 2, max: 12 }),
  fc.integer({ min: 2, max: 12 }),
);
const chunksArb = (shape: number[]) =>
  fc.tuple(...shape.map((n) => fc.integer({ min: 1, max: n })));

type Expr = "a" | "a + b" | "a * 2 - b" | "rolling(a + b)" | "rolling(a) - b";
interface Case {
  shape: number[];
  ca: number[];
  cb: number[];
  out: number[];
  window: number;
  expr: Expr;
  budgetKB: number;
  workers: number;
}

/**
 * Plans and runs `expr` into a counting target and checks values, one write per output chunk,
 * decodes as planned and task peaks within the projection; returns how the plan stepped
 * (undefined where the budget refused it): whether in steps, how many output chunks per step.
 */
async function checkCase({
  shape,
  ca,
  cb,
  out,
  window,
  expr,
  budgetKB,
  workers,
}: Case): Promise<{ stepped: boolean; chunksPerStep: number } | undefined> {
  const dims = ["t", "y", "x"];
  const n = shape.reduce((p, c) => p * c, 1);
  const aData = Float64Array.from(
    { length: n },
    (_, i) => ((i * 7919) % 101) - 50 + (i % 17 === 0 ? NaN : 0),
  );
  const bData = Float64Array.from({ length: n }, (_, i) => ((i * 104729) % 61) * 0.25);
  const a = fromArray(aData, { shape, dims, chunks: ca });
  const b = fromArray(bData, { shape, dims, chunks: cb });
  const refA: RefArray = { dims, shape, data: aData };
  const refB: RefArray = { dims, shape, data: bData };
  const [array, want] =
    expr === "a"
      ? [a, refA]
      : expr === "a + b"
        ? [a.add(b), refBinary(refA, refB, (x, y) => x + y)]
        : expr === "a * 2 - b"
          ? [a.mul(2).sub(b), refBinary(refA, refB, (x, y) => x * 2 - y)]
          : expr === "rolling(a + b)"
            ? [
                a.add(b).rolling({ t: window }).sum(),
                refRollingSum(
                  refBinary(refA, refB, (x, y) => x + y),
                  window,
                ),
              ]
            : [
                a.rolling({ t: window }).sum().sub(b),
                refBinary(refRollingSum(refA, window), refB, (x, y) => x - y),
              ];
  const { target, writes, inner } = countingTarget(shape, dims, out);
  let p;
  try {
    p = plan(
      [array],
      [{ kind: "zarr", url: "memory", path: "out", zarrFormat: 3 }],
      { memory: budgetKB * 1024, workers, executor: "threads" },
      () => out,
    );
  } catch (e) {
    assert.match((e as Error).message, /over .* per task|budget/);
    return undefined;
  }
  for (let k = 0; k < totalTasks(p); k++)
    assert.ok(taskPeak(p, k) <= p.memory.perTask, `task ${k} over the projection`);
  assert.ok(p.memory.total <= budgetKB * 1024);
  let decodes = 0;
  const env = { openSource, openTarget: async () => target };
  const cachePeaks: number[] = [];
  const executor = new InlineExecutor(env);
  const run = executor.run.bind(executor);
  executor.run = async (k) => {
    const r = await run(k);
    cachePeaks.push(r.cachePeak ?? Infinity);
    return r;
  };
  await runPlan(p, executor, env, { onProgress: (pr) => (decodes = pr.decodes) });
  // the chunks a task kept at once: within what the plan counted for them and the blocks
  const cacheRoom = p.memory.perTask - p.memory.scratchBytes;
  assert.ok(
    Math.max(...cachePeaks) <= cacheRoom,
    `chunks kept: ${cachePeaks} bytes, projected ${cacheRoom} (${JSON.stringify(p.groups)})`,
  );
  const got = await readBox(inner, [0, 0, 0], shape);
  assert.equal(closeEnough(got as Float64Array, want.data, 1e-9), undefined, `${expr}: values`);
  assert.equal(writes.size, ChunkGrid.regular(shape, out).totalCount, "every output chunk written");
  for (const [c, times] of writes) assert.equal(times, 1, `chunk ${c} written ${times} times`);
  // kept chunks within the projection: none is evicted and decoded again
  const projected = p.decodes.reduce((s, d) => s + d.decodes, 0);
  assert.equal(
    decodes,
    projected,
    `decodes counted ${decodes}, projected ${projected} (${JSON.stringify(p.groups)})`,
  );
  const g = p.groups[0];
  const steps = g.steps;
  const stepShape = g.blockShape.map((e, d) => (steps && dims[d] === steps.dim ? steps.extent : e));
  return {
    stepped: steps !== undefined,
    chunksPerStep: stepShape.reduce((q, e, d) => q * Math.ceil(e / out[d]), 1),
  };
}

test("blocks computed in steps (input chunks kept between steps) give the reference values, write each chunk once, decode what the plan says and stay within its memory", async () => {
  let stepped = 0;
  await fc.assert(
    fc.asyncProperty(
      shapeArb.chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          ca: chunksArb(shape),
          cb: chunksArb(shape),
          // output chunks short in t, whole along y, a third of x or more: blocks along t are what the budget limits
          out: fc.tuple(
            fc.integer({ min: 1, max: 4 }),
            fc.constant(shape[1]),
            fc.integer({ min: Math.ceil(shape[2] / 3), max: shape[2] }),
          ),
          window: fc.integer({ min: 1, max: 5 }),
          expr: fc.constantFrom<Expr>(
            "a",
            "a + b",
            "a * 2 - b",
            "rolling(a + b)",
            "rolling(a) - b",
          ),
          budgetKB: fc.integer({ min: 12, max: 64 }),
          workers: fc.integer({ min: 1, max: 2 }),
        }),
      ),
      async (c) => {
        if ((await checkCase(c))?.stepped) stepped++;
      },
    ),
    { numRuns: 300 },
  );
  // about one plan in ten is stepped: the rest have plain blocks as cheap (the property holds for those too)
  assert.ok(stepped >= 12, `only ${stepped} of 300 plans computed blocks in steps`);
});

test("a pointwise step of several output chunks, computed chunk by chunk, keeps the chunks later pieces read", async () => {
  // misaligned inputs; 3 output chunks across x in each step
  const c = await checkCase({
    shape: [64, 8, 12],
    ca: [5, 3, 5],
    cb: [7, 8, 4],
    out: [2, 8, 4],
    window: 1,
    expr: "a + b",
    budgetKB: 24,
    workers: 1,
  });
  assert.ok(c?.stepped && c.chunksPerStep > 1, `plan: ${JSON.stringify(c)}`);
});
test("a rechunk to whole series, stepped across chunk columns it gathers, keeps no more chunks at once than projected", async () => {
  // W5 in small: steps of 5 along x pass from one column of a's 24-wide chunks to the next;
  // piece by piece (two output chunks a step) one such step would hold three half-columns
  const c = await checkCase({
    shape: [40, 24, 96],
    ca: [2, 12, 24],
    cb: [2, 12, 24],
    out: [40, 8, 5],
    window: 1,
    expr: "a",
    budgetKB: 275,
    workers: 1,
  });
  assert.ok(c?.stepped && c.chunksPerStep > 1, `plan: ${JSON.stringify(c)}`);
});
