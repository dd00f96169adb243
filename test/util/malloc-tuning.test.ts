import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { populate, tuneMalloc } from "../../src/util/malloc-tuning.js";
import { releaseScratch, takeScratch } from "../../src/util/scratch-buffers.js";

const MB = 1 << 20;
/** Above glibc's largest mmap threshold: each such buffer is a fresh mapping, never reused heap. */
const FRESH = 48 * MB;

/** Minor page faults of this process while `write` runs. */
function faultsDuring(write: () => void): number {
  const before = process.resourceUsage().minorPageFault;
  write();
  return process.resourceUsage().minorPageFault - before;
}

// The project builds dae-malloc-tuning on Linux (an optional dependency, built by npm ci), and
// Linux has had MADV_POPULATE_WRITE since 5.14: there the buffers below must come mapped in.
test(
  "fresh buffers (populate, scratch takes) come with their pages mapped in: writing them faults almost none",
  { skip: process.platform !== "linux" && "Linux only" },
  () => {
    const plain = new Uint8Array(new ArrayBuffer(FRESH));
    const plainFaults = faultsDuring(() => plain.fill(1));
    // 4 KB pages, or 2 MB ones where transparent huge pages are always on
    assert.ok(
      plainFaults >= FRESH / (2 * MB),
      `writing a fresh buffer faults its pages in (${plainFaults})`,
    );

    const populated = new Uint8Array(populate(new ArrayBuffer(FRESH)));
    const populatedFaults = faultsDuring(() => populated.fill(1));
    assert.ok(
      populatedFaults * 20 < plainFaults,
      `populated: ${populatedFaults} faults while writing, against ${plainFaults} unpopulated`,
    );
    assert.ok(
      populated.every((v) => v === 1),
      "a populated buffer is an ordinary writable buffer",
    );

    const scratch = takeScratch(FRESH - 5);
    const scratchFaults = faultsDuring(() => scratch.fill(2));
    assert.ok(
      scratchFaults * 20 < plainFaults,
      `a fresh scratch buffer: ${scratchFaults} faults while writing`,
    );
    releaseScratch(scratch);
  },
);

test("populate leaves small and zero-length buffers as they are and returns what it was given", () => {
  for (const size of [0, 4096, MB - 1, 3 * MB + 17]) {
    const b = new ArrayBuffer(size);
    assert.equal(populate(b), b);
    assert.ok(
      new Uint8Array(b).every((v) => v === 0),
      `a new buffer of ${size} bytes stays zero-filled`,
    );
  }
});

// A worker thread has its own copy of the module: trimming there must not depend on that copy
// having tuned (the thread executor's workers trim between the stages of a run).
test(
  "trimMalloc in a worker thread gives the memory its freed buffers held back to the system",
  { skip: process.platform !== "linux" && "Linux only" },
  async () => {
    assert.ok(tuneMalloc(), "the allocator is tuned (the coordinator does this before a run)");
    const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    (async () => {
      const { trimMalloc } = await import(workerData.tuning);
      const { collectGarbage } = await import(workerData.gc);
      let held = [];
      for (let i = 0; i < 60; i++) held.push(Buffer.allocUnsafeSlow(5 << 20).fill(i));
      held = undefined;
      collectGarbage();
      // array buffers are freed after the collection, in the background: wait until they are
      for (let i = 0; i < 500 && process.memoryUsage().arrayBuffers > 50 << 20; i++)
        await new Promise((r) => setTimeout(r, 10));
      const before = process.memoryUsage().rss;
      trimMalloc();
      parentPort.postMessage({ before, after: process.memoryUsage().rss });
    })();`;
    const worker = new Worker(code, {
      eval: true,
      workerData: {
        tuning: new URL("../../src/util/malloc-tuning.js", import.meta.url).href,
        gc: new URL("../../src/exec/collect-garbage.js", import.meta.url).href,
      },
    });
    const [{ before, after }] = (await once(worker, "message")) as [
      { before: number; after: number },
    ];
    await worker.terminate();
    assert.ok(
      before - after > 100 * MB,
      `resident memory ${Math.round(before / MB)} MB before the trim, ${Math.round(after / MB)} MB after`,
    );
  },
);
