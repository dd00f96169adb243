import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { BlockPool } from "../../src/array/block-pool.js";
import { load, toZarr } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { tempDir } from "../helpers.js";

const MB = 1 << 20;

test("a scope's buffers go back to the pool at its end: the next take reuses them, zero-filled unless asked not to", () => {
  const pool = new BlockPool();
  const first = pool.scope(64 * MB);
  const a = first.take(Float64Array, MB / 4); // 2 MB
  const kept = first.take(Float64Array, MB / 4);
  a.fill(7);
  kept.fill(9);
  first.end([kept]);
  const second = pool.scope(64 * MB);
  const zeroed = second.take(Float64Array, MB / 4);
  assert.equal(zeroed.buffer, a.buffer, "the freed buffer is reused");
  assert.ok(
    zeroed.every((v) => v === 0),
    "zero-filled",
  );
  assert.notEqual(
    second.take(Float64Array, MB / 4).buffer,
    kept.buffer,
    "a kept array is never lent again",
  );
  zeroed.fill(5);
  second.end([]);
  const third = pool.scope(64 * MB);
  const raw = third.take(Float32Array, MB / 2, false); // 2 MB too: the same buffer, as it was
  assert.ok([zeroed.buffer, kept.buffer].includes(raw.buffer) || raw.buffer.byteLength === 2 * MB);
  // a pool holds at most maxFreeBytes, or what its scope had lent at once where that was more
  // (buffers round up to whole MB, past the projections the limits come from)
  const small = new BlockPool();
  const s = small.scope(3 * MB);
  const x = s.take(Uint8Array, 2 * MB);
  const y = s.take(Uint8Array, 2 * MB);
  s.end([]);
  const t = small.scope(3 * MB);
  const reused = [t.take(Uint8Array, 2 * MB), t.take(Uint8Array, 2 * MB)].filter(
    (b) => b.buffer === x.buffer || b.buffer === y.buffer,
  );
  assert.equal(reused.length, 2, "both 2 MB buffers, lent at once before, are kept");
  t.end([]);
  const u = small.scope(3 * MB);
  const one = u.take(Uint8Array, 2 * MB);
  u.end([]);
  const v = small.scope(3 * MB);
  const again = [v.take(Uint8Array, 2 * MB), v.take(Uint8Array, 2 * MB)].filter(
    (b) => b.buffer === x.buffer || b.buffer === y.buffer,
  );
  assert.equal(
    again.length,
    1,
    "a scope that lent one 2 MB buffer leaves the pool one that fits its 3 MB",
  );
  assert.ok(one.buffer === x.buffer || one.buffer === y.buffer);
});

test("a smaller block reuses the smallest free buffer of up to twice its size (an array's edge blocks)", () => {
  const pool = new BlockPool();
  const first = pool.scope(64 * MB);
  const inner = first.take(Float32Array, (9 * MB) / 4); // an inner block, 9 MB
  const small = first.take(Float32Array, (5 * MB) / 4);
  first.end([]);
  const second = pool.scope(64 * MB);
  const edge = second.take(Float32Array, (8 * MB) / 4 - 100, false); // an edge block, just under 8 MB
  assert.equal(
    edge.buffer,
    inner.buffer,
    "the 9 MB buffer serves the 8 MB block: the smallest that fits",
  );
  assert.equal(edge.length, (8 * MB) / 4 - 100);
  const tiny = second.take(Float32Array, (2 * MB) / 4);
  assert.notEqual(
    tiny.buffer,
    small.buffer,
    "a buffer more than twice the size is not lent for it",
  );
  const zeroed = second.take(Float32Array, (4 * MB) / 4);
  assert.equal(zeroed.buffer, small.buffer, "5 MB serves 4 MB");
  assert.ok(
    zeroed.every((v) => v === 0),
    "zero-filled over the length asked",
  );
});

test("tasks that reuse the buffers of earlier ones (blocks of several MB) give the values computed directly", async (t) => {
  const dir = tempDir(t);
  const [nt, ny, nx] = [192, 96, 128];
  const data = Float64Array.from({ length: nt * ny * nx }, (_, i) =>
    i % 89 === 0 ? NaN : Math.cos(i / 777) * 50 + (i % 11),
  );
  const a = fromArray(data, {
    shape: [nt, ny, nx],
    dims: ["t", "y", "x"],
    chunks: [8, 96, 128],
    name: "a",
  });
  const at = (k: number, j: number, i: number) => data[(k * ny + j) * nx + i];
  const cases = [
    {
      name: "map of a view",
      array: a.mul(2).add(a.isel({ x: { kind: "slice", start: nx - 1, stop: null, step: -1 } })),
      want: (k: number, j: number, i: number) => at(k, j, i) * 2 + at(k, j, nx - 1 - i),
    },
    {
      // maps take an operand's block for their result, but never a shared operand's (a + 1 feeds two)
      name: "map of a shared map",
      array: a.add(1).mul(2).add(a.add(1)).sub(a),
      want: (k: number, j: number, i: number) =>
        (at(k, j, i) + 1) * 2 + (at(k, j, i) + 1) - at(k, j, i),
    },
    {
      name: "rolling sum",
      array: a.rolling({ t: 3 }).sum(),
      want: (k: number, j: number, i: number) =>
        k < 2 ? NaN : at(k, j, i) + at(k - 1, j, i) + at(k - 2, j, i),
    },
  ];
  for (const [n, c] of cases.entries()) {
    const out = path.join(dir, `${n}.zarr`);
    // a budget for blocks of a few MB: several tasks in turn on the inline executor's one pool
    const report = await toZarr(c.array.rechunk({ t: 8 }), out, {
      executor: "inline",
      memory: 24 * MB,
    });
    // blocks evaluated one after the other: tasks, or the steps of a task
    const blocks =
      report.progress.tasksTotal *
      Math.max(
        1,
        ...report.plan.groups.map((g) =>
          g.steps
            ? Math.ceil(
                g.blockShape[
                  report.plan.graph[report.plan.outputs[0].id].dims.indexOf(g.steps.dim)
                ] / g.steps.extent,
              )
            : 1,
        ),
      );
    assert.ok(blocks >= 3, `${c.name}: ${blocks} blocks in turn`);
    assert.ok(
      report.plan.memory.perTask - report.plan.memory.cacheBytes - report.plan.memory.scratchBytes >
        2 * MB,
      `${c.name}: blocks large enough to be pooled`,
    );
    const got = (await load((await openDataset(out)).vars.a)).data;
    for (let k = 0; k < nt; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const w = c.want(k, j, i);
          const g = got[(k * ny + j) * nx + i];
          if (
            Number.isNaN(w) ? !Number.isNaN(g) : Math.abs(g - w) > 1e-9 * Math.max(1, Math.abs(w))
          )
            assert.fail(`${c.name} at [${k}, ${j}, ${i}]: ${g}, want ${w}`);
        }
  }
});

test("a buffer a background encode still reads goes back to the pool only once the encode is done", async () => {
  const pool = new BlockPool();
  const first = pool.scope(64 * MB);
  const held = first.take(Uint8Array, 2 * MB, false);
  let encoded!: () => void;
  first.holdUntil(held.buffer, new Promise<void>((resolve) => (encoded = resolve)));
  first.end([]);
  const second = pool.scope(64 * MB);
  const meanwhile = second.take(Uint8Array, 2 * MB, false);
  assert.notEqual(meanwhile.buffer, held.buffer, "not lent again while held");
  encoded();
  await new Promise((resolve) => setImmediate(resolve));
  const next = second.take(Uint8Array, 2 * MB, false);
  assert.equal(next.buffer, held.buffer, "lent again once the encode is done");
  // a failed encode lets it go too
  second.holdUntil(next.buffer, Promise.reject(new Error("encode failed")));
  second.end([]);
  await new Promise((resolve) => setImmediate(resolve));
  const third = pool.scope(64 * MB);
  const again = [third.take(Uint8Array, 2 * MB, false), third.take(Uint8Array, 2 * MB, false)].map(
    (a) => a.buffer,
  );
  assert.ok(again.includes(held.buffer), "back after the failed encode");
});
