import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { align } from "../../src/api/align.js";
import { plan } from "../../src/api/compute.js";
import { readBox } from "../../src/array/read-box.js";
import { LazyArray } from "../../src/api/lazy-array.js";
import type { Calendar } from "../../src/dataset/calendar.js";
import { fromArray } from "../../src/api/open-dataset.js";
import type { Join } from "../../src/api/label-join.js";
import type { Node } from "../../src/core/graph.js";
import { indexRuns } from "../../src/core/kernels/gather-windows.js";
import { runPlan } from "../../src/exec/coordinator.js";
import { InlineExecutor } from "../../src/exec/inline-executor.js";
import { openSource } from "../../src/exec/sources.js";
import { taskPeak } from "../../src/plan/memory.js";
import { totalTasks } from "../../src/plan/plan.js";
import { DaeError } from "../../src/util/errors.js";
import { countingTarget } from "../helpers.js";

/** A 2-D array (y, x) with labels and chunks; values from its labels, so misplacement shows. */
function grid(
  name: string,
  ys: number[],
  xs: number[],
  chunks: [number, number],
  scale: number,
): LazyArray {
  const data = Float64Array.from({ length: ys.length * xs.length }, (_, i) => {
    const [y, x] = [ys[Math.floor(i / xs.length)], xs[i % xs.length]];
    return scale * (y * 100 + x) + (y % 7 === 3 ? NaN : 0);
  });
  return fromArray(data, {
    shape: [ys.length, xs.length],
    dims: ["y", "x"],
    chunks: [Math.min(chunks[0], ys.length), Math.min(chunks[1], xs.length)],
    name,
    coords: { y: Float64Array.from(ys), x: Float64Array.from(xs) },
  });
}

const ops = (g: LazyArray) => Object.values(g.built.graph).map((n: Node) => n.op);

test("equal labels add no node; a reversed or offset axis is a view; a permutation a gather", () => {
  const a = grid("a", [0, 1, 2, 3], [10, 20, 30], [2, 2], 1);
  const same = grid("same", [0, 1, 2, 3], [10, 20, 30], [3, 1], 2);
  assert.deepEqual(ops(a.sub(same)).sort(), ["map", "source", "source"]);
  const reversed = grid("r", [3, 2, 1, 0], [10, 20, 30], [2, 2], 2);
  const r = a.sub(reversed);
  assert.deepEqual(ops(r).sort(), ["map", "source", "source", "view"]);
  const view = Object.values(r.built.graph).find((n) => n.op === "view")!;
  assert.deepEqual(view.op === "view" && view.axes[0], { inDim: "y", start: 3, step: -1 });
  const offset = grid("o", [2, 3, 4, 5], [10, 20, 30], [2, 2], 2);
  const o = a.sub(offset);
  assert.deepEqual(Array.from(o.coords.y.values), [2, 3]);
  assert.deepEqual(ops(o).sort(), ["map", "source", "source", "view", "view"]);
  const permuted = grid("p", [2, 0, 3, 1], [10, 20, 30], [2, 2], 2);
  assert.deepEqual(ops(a.sub(permuted)).sort(), ["map", "source", "source", "window"]);
});

test("refusals name the dimension and both ranges, in one line", () => {
  const a = grid("a", [0, 1, 2], [10, 20], [2, 2], 1);
  const refuses = (f: () => unknown, message: RegExp) =>
    assert.throws(
      f,
      (e) => e instanceof DaeError && message.test(e.message) && !/\n/.test(e.message),
    );
  const unlabelled = fromArray(new Float64Array(4), { shape: [4], dims: ["y"], name: "u" });
  refuses(
    () => a.add(unlabelled),
    /^add: dimension "y" has no coordinate in u \(length 4\) and cannot be aligned with a \(y 0…2, 3 labels\)$/,
  );
  refuses(
    () => fromArray(new Float64Array(2), { shape: [2], dims: ["y"], name: "s" }).mul(unlabelled),
    /^mul: dimension "y" has size 2 in s but 4 in u, and no coordinate to align them by$/,
  );
  refuses(
    () => a.add(grid("b", [5, 6], [10, 20], [1, 1], 1)),
    /^add: dimension "y" has no label in common between a \(y 0…2, 3 labels\) and b \(y 5…6, 2 labels\)$/,
  );
  refuses(
    () => align(a, grid("c", [2, 1, 0], [10, 20], [1, 1], 1), { join: "exact" }),
    /^align: dimension "y" has different labels in a \(y 0…2, 3 labels\) and c \(y 2…0, 3 labels\) \(join "exact"\)$/,
  );
  refuses(
    () => a.add(grid("d", [1, 1, 2], [10, 20], [1, 1], 1)),
    /^add: cannot align dimension "y": d's labels repeat/,
  );
  refuses(() => align(a, a, { join: "sideways" as Join }), /unknown join "sideways"/);
  const inCalendar = (calendar: Calendar) =>
    new LazyArray(a.built, {
      ...a.coords,
      y: { ...a.coords.y, time: { calendar, units: "days since 2000-01-01" } },
    });
  refuses(
    () => inCalendar("noleap").add(inCalendar("standard").sortby("y", false)),
    /^add: cannot align dimension "y": data's labels are times in the noleap calendar but data's are times in the standard calendar$/,
  );
  // the two Gregorian calendars agree on the dates they share
  inCalendar("proleptic_gregorian").add(inCalendar("standard").sortby("y", false));
  // the unlabelled side of a dim may stand beside labels when its length is the joined one
  const [p, q] = align(a, fromArray(new Float64Array(3), { shape: [3], dims: ["y"], name: "v" }));
  assert.equal(p.built, a.built);
  assert.equal(q.sizeOf("y"), 3);
});

test("roll is a gather, sortby a view or nothing, assignCoords moves no data", () => {
  const a = grid("a", [30, 20, 10, 0], [1, 2, 3], [2, 2], 1);
  assert.equal(a.sortby("y", false).built, a.built);
  const sorted = a.sortby("y");
  assert.deepEqual(ops(sorted).sort(), ["source", "view"]);
  assert.deepEqual(Array.from(sorted.coords.y.values), [0, 10, 20, 30]);
  const rolled = a.roll({ x: 1 });
  assert.deepEqual(ops(rolled).sort(), ["source", "window"]);
  assert.deepEqual(Array.from(rolled.coords.x.values), [1, 2, 3]);
  assert.deepEqual(Array.from(a.roll({ x: -1, rollCoords: true }).coords.x.values), [2, 3, 1]);
  assert.equal(a.roll({ x: 3 }).built, a.built);
  const relabelled = a.assignCoords({ x: (x) => x.map((v) => v * 10), y: [4, 3, 2, 1] });
  assert.equal(relabelled.built, a.built);
  assert.deepEqual(Array.from(relabelled.coords.x.values), [10, 20, 30]);
  assert.throws(
    () => a.assignCoords({ x: [1, 2] }),
    /assignCoords: 2 labels for dimension "x" of length 3/,
  );
  assert.throws(() => a.roll({ x: 1.5 }), /roll: shift 1.5 of "x" must be an integer/);
  assert.throws(() => a.sortby("t"), /no dimension "t"/);
});

test("a gather bridges gaps between its index runs only within what the plan promised it holds", () => {
  assert.deepEqual(indexRuns([0, 2, 4, 6]), [[0, 7]]);
  assert.deepEqual(indexRuns([0, 2, 4, 6], 4), [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
  ]);
  assert.deepEqual(indexRuns([0, 2, 4, 6], 6), [
    [0, 5],
    [6, 7],
  ]);
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.nat(200), { minLength: 1, maxLength: 60 }),
      fc.nat(100),
      (indices, extra) => {
        const sorted = [...indices].sort((x, y) => x - y);
        const runs = indexRuns(sorted, sorted.length + extra);
        const held = runs.reduce((n, [lo, hi]) => n + hi - lo, 0);
        assert.ok(held <= sorted.length + extra, `${held} held, ${sorted.length + extra} promised`);
        for (const x of sorted) assert.ok(runs.some(([lo, hi]) => lo <= x && x < hi));
      },
    ),
  );
});

/** The in-memory reference: arrays aligned by a Map from label to index, then `fn`. */
function reference(
  a: { ys: number[]; xs: number[]; scale: number },
  b: { ys: number[]; xs: number[]; scale: number },
  join: Join,
): { ys: number[]; xs: number[]; data: number[] } | undefined {
  const joined = (p: number[], q: number[]) => {
    // equal labels are kept as they are, whatever the join (xarray reindexes nothing)
    if (join === "left" || p.join() === q.join()) return p;
    if (join === "right") return q;
    if (join === "inner") return p.filter((v) => q.includes(v));
    return [...new Set([...p, ...q])].sort((u, v) => u - v);
  };
  const ys = joined(a.ys, b.ys);
  const xs = joined(a.xs, b.xs);
  if (ys.length === 0 || xs.length === 0) return undefined;
  const value = (s: { ys: number[]; xs: number[]; scale: number }, y: number, x: number) => {
    const at = new Map(s.ys.map((v, i) => [v, i]));
    const bt = new Map(s.xs.map((v, i) => [v, i]));
    if (!at.has(y) || !bt.has(x)) return NaN;
    return s.scale * (y * 100 + x) + (y % 7 === 3 ? NaN : 0);
  };
  const data = ys.flatMap((y) => xs.map((x) => value(a, y, x) - value(b, y, x)));
  return { ys, xs, data };
}

/** Labels derived from `base` as users meet them: same, reversed, offset, subset, permuted. */
const derived = (base: number[]) =>
  fc.oneof(
    fc.constant(base),
    fc.constant([...base].reverse()),
    fc.integer({ min: -5, max: 5 }).map((k) => base.map((v) => v + k)),
    fc
      .tuple(fc.nat(base.length - 1), fc.nat(base.length - 1))
      .map(([i, j]) => base.slice(Math.min(i, j), Math.max(i, j) + 1)),
    fc.shuffledSubarray(base, { minLength: 1 }),
    fc.shuffledSubarray(base, { minLength: base.length }),
  );

const axis = fc
  .uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 })
  .chain((base) => fc.tuple(fc.constant(base), derived(base)));

test("random reversals, offsets, subsets and permutations on random chunks give the label-aligned answer within the memory promise", async () => {
  await fc.assert(
    fc.asyncProperty(
      axis,
      axis,
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
      fc.constantFrom<Join>("inner", "outer", "left", "right"),
      fc.integer({ min: 24, max: 200 }),
      async ([ya, yb], [xa, xb], ca, cb, join, budgetKB) => {
        const a = grid("a", ya, xa, ca, 1);
        const b = grid("b", yb, xb, cb, 2);
        const want = reference({ ys: ya, xs: xa, scale: 1 }, { ys: yb, xs: xb, scale: 2 }, join);
        let result: LazyArray;
        try {
          const [p, q] = join === "inner" ? [a, b] : align(a, b, { join });
          result = p.sub(q);
        } catch (e) {
          assert.ok(!want, `refused ${(e as Error).message}`);
          assert.match((e as Error).message, /no label in common/);
          return;
        }
        assert.ok(want, "an empty join is refused");
        assert.deepEqual(Array.from(result.coords.y.values), want.ys);
        assert.deepEqual(Array.from(result.coords.x.values), want.xs);
        const memory = budgetKB * 1024;
        const chunkShape = [Math.min(2, want.ys.length), Math.min(3, want.xs.length)];
        let p;
        try {
          p = plan(
            [result],
            [{ kind: "zarr", url: "memory", path: "out", zarrFormat: 3 }],
            { memory, executor: "inline" },
            () => chunkShape,
          );
        } catch (e) {
          assert.match((e as Error).message, /over .* per task|budget/);
          return;
        }
        for (let k = 0; k < totalTasks(p); k++)
          assert.ok(taskPeak(p, k) <= memory, `task ${k}: ${taskPeak(p, k)} > ${memory}`);
        const { target, writes, inner } = countingTarget(
          [want.ys.length, want.xs.length],
          ["y", "x"],
          chunkShape,
        );
        await runPlan(p, new InlineExecutor({ openSource, openTarget: async () => target }), {
          openSource,
          openTarget: async () => target,
        });
        for (const n of writes.values()) assert.equal(n, 1);
        const values = await readBox(inner, [0, 0], [want.ys.length, want.xs.length]);
        assert.deepEqual(Array.from(values as Float64Array), want.data);
      },
    ),
    { numRuns: 150 },
  );
});
