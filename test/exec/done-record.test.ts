import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { clearTasksDone, readTasksDone, recordTaskDone } from "../../src/exec/done-record.js";
import { FsStore } from "../../src/storage/fs-store.js";
import type { Store } from "../../src/storage/store.js";
import { tempDir } from "../helpers.js";

test("finished tasks are one compact log: what was recorded reads back, a torn last record and old per-task markers too", async (t) => {
  const dir = tempDir(t);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 300 }),
      async (tasks) => {
        const root = path.join(dir, `s${n++}`);
        const store = new FsStore(root, true);
        // concurrently, as a run's tasks finish
        await Promise.all(tasks.map((k) => recordTaskDone(store, k)));
        assert.deepEqual([...(await readTasksDone(store))].sort(), [...tasks].sort());
        if (tasks.length)
          assert.equal(statSync(path.join(root, ".dae", "done.log")).size, 4 * tasks.length);
      },
    ),
    { numRuns: 30 },
  );

  const root = path.join(dir, "mixed");
  const store = new FsStore(root, true);
  for (const k of [3, 1, 4]) await recordTaskDone(store, k);
  appendFileSync(path.join(root, ".dae", "done.log"), Buffer.from([9, 0])); // a torn record
  mkdirSync(path.join(root, ".dae", "done"));
  writeFileSync(path.join(root, ".dae", "done", "7"), ""); // a marker of a run recorded before the log
  assert.deepEqual([...(await readTasksDone(store))].sort(), [1, 3, 4, 7]);
  await clearTasksDone(store);
  assert.deepEqual(readdirSync(path.join(root, ".dae")), []);
  assert.equal((await readTasksDone(store)).size, 0);
});

test("a store that cannot append (S3) records one marker per finished task", async (t) => {
  const fs = new FsStore(tempDir(t), true);
  const store: Store = {
    url: fs.url,
    writable: true,
    get: (k) => fs.get(k),
    getRange: (k, o, l) => fs.getRange(k, o, l),
    size: (k) => fs.size(k),
    set: (k, b) => fs.set(k, b),
    delete: (k) => fs.delete(k),
    list: (p) => fs.list(p),
  };
  for (const k of [5, 0, 2]) await recordTaskDone(store, k);
  assert.deepEqual((await fs.list(".dae/done")).sort(), ["0", "2", "5"]);
  assert.deepEqual([...(await readTasksDone(store))].sort(), [0, 2, 5]);
});
