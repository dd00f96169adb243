import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { load, plan, toZarr } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { intermediateChunks, workDir } from "../../src/plan/rechunk-stages.js";
import type { SourceNode } from "../../src/core/graph.js";
import { chunkReleaser } from "../../src/exec/release-chunks.js";
import { forgetTargets } from "../../src/exec/targets.js";
import { blockBox, taskAt, totalTasks } from "../../src/plan/plan.js";
import { tempDir } from "../helpers.js";

test("used-up chunks of a work store are deleted once their last reader is done, never before, whatever the order tasks finish in", async (t) => {
  const dir = tempDir(t);
  let run = 0;
  let shared = 0; // runs with chunks read by more than one task
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(
        fc.integer({ min: 8, max: 40 }),
        fc.integer({ min: 8, max: 40 }),
        fc.integer({ min: 8, max: 40 }),
      ),
      fc.tuple(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
      ),
      fc.tuple(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
      ),
      fc.integer({ min: 0, max: 1 << 30 }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.integer({ min: 16, max: 96 }),
      async (shape, sourceChunks, targetChunks, seed, skipShare, kb) => {
        const store = path.join(dir, `s${run++}.zarr`);
        const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, (_, i) => i);
        const chunks = sourceChunks.map((c, d) => Math.min(c, shape[d]));
        await toZarr(
          fromArray(data, { shape, dims: ["t", "y", "x"], chunks, name: "v" }).rechunk({
            t: chunks[0],
            y: chunks[1],
            x: chunks[2],
          }),
          store,
          { executor: "inline" },
        );
        const v = (await openDataset(store, { decode: false })).vars.v;
        const target = v.rechunk({ t: targetChunks[0], y: targetChunks[1], x: targetChunks[2] });
        // small budgets: many small blocks, and chunks read by several of them
        let p: ReturnType<typeof plan>;
        try {
          p = plan(
            [target],
            [{ kind: "zarr", url: path.join(dir, "unused.zarr"), path: "v", zarrFormat: 3 }],
            // several workers: tasks of a stepped plan then split the long dim, and share chunks
            { workers: 4, memory: kb * 1024 },
          );
        } catch {
          return; // one output chunk does not fit this budget
        }
        const source = Object.values(p.graph).find((n): n is SourceNode => n.op === "source")!;
        const grid = source.chunkShape;
        assert.deepEqual(grid, chunks);
        // which chunks each task reads, counted here from its block and the grid alone
        const reads = Array.from({ length: totalTasks(p) }, (_, k) => {
          const task = taskAt(p, k);
          const box = blockBox(p, task.group, task.block);
          const chunks: string[] = [];
          for (let a = Math.floor(box.start[0] / grid[0]); a * grid[0] < box.stop[0]; a++)
            for (let b = Math.floor(box.start[1] / grid[1]); b * grid[1] < box.stop[1]; b++)
              for (let c = Math.floor(box.start[2] / grid[2]); c * grid[2] < box.stop[2]; c++)
                chunks.push(`${a}/${b}/${c}`);
          return chunks;
        });
        const file = (c: string) => path.join(store, "v", "c", c);
        const all = new Set(reads.flat());
        if (reads.flat().length > all.size) shared++;
        for (const c of all) assert.ok(existsSync(file(c)), `chunk ${c} written`);
        // a resumed run: some tasks were done before, and their chunks may be gone already
        let x = seed;
        const random = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
        const skipped = new Set(reads.map((_, k) => k).filter(() => random() < skipShare));
        const order = reads.map((_, k) => k).filter((k) => !skipped.has(k));
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        forgetTargets();
        const released = chunkReleaser(p, new Set([source.id]), (k) => skipped.has(k));
        const pending = new Set(order);
        for (const k of order) {
          for (const c of reads[k])
            assert.ok(existsSync(file(c)), `chunk ${c} is there when task ${k} runs`);
          released.taskDone(k);
          await released.settled();
          pending.delete(k);
          for (const c of reads[k]) {
            const stillRead = [...pending].some((q) => reads[q].includes(c));
            assert.equal(
              existsSync(file(c)),
              stillRead,
              `chunk ${c} after task ${k}: ${stillRead ? "kept for a task still to run" : "deleted"}`,
            );
          }
        }
        // chunks only skipped tasks read are not this run's to delete
        for (const c of all)
          if (!order.some((k) => reads[k].includes(c)))
            assert.ok(existsSync(file(c)), `chunk ${c}, read only by tasks done before, is left`);
      },
    ),
    { numRuns: 25 },
  );
  assert.ok(shared >= 5, `only ${shared} runs had chunks read by several tasks`);
});

test("a staged rechunk of chunks above 1 MB (written and read past the page cache, used up as it goes) keeps every value", async (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, "re.zarr");
  const shape = [256, 256, 256];
  const data = Float32Array.from(
    { length: shape[0] * shape[1] * shape[2] },
    (_, i) => Math.sin(i * 0.001) * 100 + (i % 13),
  );
  const src = path.join(dir, "src.zarr");
  // 1 MB source chunks, short in time; 64 KB target chunks, long in time
  await toZarr(
    fromArray(data, { shape, dims: ["t", "y", "x"], chunks: [4, 256, 256], name: "v" }).rechunk({
      t: 4,
      y: 256,
      x: 256,
    }),
    src,
    { executor: "inline" },
  );
  const v = (await openDataset(src)).vars.v;
  const target = v.rechunk({ t: 256, y: 16, x: 16 });
  const options = { memory: "48MB", workers: 2 };
  const p = plan([target], [{ kind: "zarr", url: out, path: "v", zarrFormat: 2 }], options);
  const staged = intermediateChunks(p)[0];
  assert.ok(staged, `staged: ${JSON.stringify(p.decodes)}`);
  assert.ok(
    staged.reduce((a, b) => a * b, 4) >= 1 << 20,
    `intermediate chunks [${staged}] of 1 MB or more`,
  );
  await toZarr(target, out, { ...options, zarrFormat: 2 });
  assert.equal(existsSync(workDir(out)), false);
  assert.deepEqual(
    JSON.parse(readFileSync(path.join(out, "v", ".zarray"), "utf8")).chunks,
    [256, 16, 16],
  );
  const got = (await load((await openDataset(out)).vars.v)).data;
  for (let i = 0; i < data.length; i++)
    if (got[i] !== data[i]) assert.fail(`element ${i}: ${got[i]}, want ${data[i]}`);
});
