import { test } from "node:test";
import assert from "node:assert/strict";
import { ChunkCache } from "../../src/array/chunk-cache.js";
import { limitScratch, takeScratch } from "../../src/util/scratch-buffers.js";

const MB = 1 << 20;
const chunk = () => new Float32Array(takeScratch(MB).buffer, 0, MB / 4);

test("a cached chunk goes back to the scratch pool only once it is evicted and its last reader is done", async (t) => {
  t.after(() => limitScratch(64 * MB));
  limitScratch(64 * MB);
  const cache = new ChunkCache(MB); // room for one chunk
  const array = {};
  const x = await cache.get(array, [0], async () => chunk());
  cache.done(x);
  const again = await cache.get(array, [0], async () => assert.fail("a hit decodes nothing"));
  assert.equal(again, x);
  // another chunk evicts x while a reader still holds it: x must not be lent again
  const y = await cache.get(array, [1], async () => chunk());
  const meanwhile = takeScratch(MB);
  assert.notEqual(meanwhile.buffer, x.buffer, "an evicted chunk with a reader is not reused");
  cache.done(again);
  assert.equal(takeScratch(MB).buffer, x.buffer, "reused once its last reader is done");
  // a chunk read without keeping it is the reader's: done gives it back at once
  const z = await cache.get(array, [2], async () => chunk(), false);
  cache.done(z);
  assert.equal(takeScratch(MB).buffer, z.buffer);
  // a kept chunk stays while kept, however many readers are done with it
  cache.done(y);
  assert.notEqual(takeScratch(MB).buffer, y.buffer, "still cached: not reused");
  assert.equal(await cache.get(array, [1], async () => assert.fail("still cached")), y);
  assert.equal(cache.decodes, 3);
});
