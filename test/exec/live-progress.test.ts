import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ChunkedArray } from "../../src/array/chunked-array.js";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { load, plan } from "../../src/api/compute.js";
import { fromChunked } from "../../src/api/open-dataset.js";
import type { Progress } from "../../src/exec/executor.js";
import { LiveCounts } from "../../src/exec/live-counts.js";
import { totalTasks } from "../../src/plan/plan.js";

test("a run reports progress while its one long task runs: bytes and decodes grow before the task ends, and end at the task's own counts", async () => {
  const [t, y, x] = [32, 6, 5];
  const values = Float32Array.from({ length: t * y * x }, (_, i) => (i * 7919) % 101);
  const base = fromTypedArray(values, {
    shape: [t, y, x],
    dims: ["t", "y", "x"],
    chunks: [1, y, x],
  });
  // each chunk takes 120 ms to read (and the box reads 4 at once): the task takes about 1 s
  const slow: ChunkedArray = Object.create(base, {
    readChunk: {
      value: async (c: readonly number[]) => (
        await new Promise((r) => setTimeout(r, 120)),
        base.readChunk(c)
      ),
    },
    readRegion: { value: undefined },
  });
  const a = fromChunked(slow, { name: "a" }).mean("t");
  assert.equal(
    totalTasks(plan([a], [{ kind: "memory" }], { memory: "64MB", executor: "inline" })),
    1,
    "one task",
  );

  const reports: Progress[] = [];
  const result = await load(a, {
    memory: "64MB",
    executor: "inline",
    onProgress: (p) => reports.push(p),
  });

  // the answer, computed another way
  const want = new Float64Array(y * x);
  for (let i = 0; i < values.length; i++) want[i % (y * x)] += values[i] / t;
  result.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4, `mean at ${i}`));

  assert.equal(reports[0].tasksDone, 0, "a first report before any task");
  const during = reports.filter((p) => p.tasksDone === 0 && p.bytesRead > 0);
  assert.ok(during.length > 0, `bytes counted while the task ran: ${JSON.stringify(reports)}`);
  for (let i = 1; i < reports.length; i++)
    for (const k of ["bytesRead", "bytesWritten", "decodes", "elapsedSeconds"] as const)
      assert.ok(reports[i][k] >= reports[i - 1][k], `${k} never goes back`);
  const last = reports[reports.length - 1];
  assert.equal(last.tasksDone, 1);
  assert.equal(last.decodes, t, "every chunk decoded once, counted once");
  assert.equal(last.bytesRead, values.byteLength, "bytes read counted once");
  assert.ok(during.every((p) => p.decodes <= t && p.bytesRead <= values.byteLength));
});

test("LiveCounts: counts added in worker threads are read in this one", async () => {
  const live = new LiveCounts();
  const module = fileURLToPath(new URL("../../src/exec/live-counts.js", import.meta.url));
  const code = `const { workerData, parentPort } = require("node:worker_threads");
    import(require("node:url").pathToFileURL(${JSON.stringify(module)}).href).then(({ LiveCounts }) => {
      const live = new LiveCounts(workerData);
      for (let i = 0; i < 1000; i++) live.add({ bytesRead: 3, bytesWritten: 5, decodes: 1 });
      parentPort.postMessage("done");
    });`;
  await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: live.buffer });
          w.once("message", () => resolve(w.terminate())).once("error", reject);
        }),
    ),
  );
  live.add({ bytesRead: 1, bytesWritten: 0, decodes: 0 });
  assert.deepEqual(live.read(), { bytesRead: 9001, bytesWritten: 15000, decodes: 3000 });
});
