import { test } from "node:test";
import assert from "node:assert/strict";
import {
  keepScratch,
  limitScratch,
  releaseScratch,
  scratchShare,
  takeScratch,
} from "../../src/util/scratch-buffers.js";
import { BlockPool } from "../../src/array/block-pool.js";

const MB = 1 << 20;

test("a scratch buffer given back is reused by the next take of about its size; kept, foreign or twice-given ones never are", (t) => {
  t.after(() => limitScratch(64 * MB));
  limitScratch(64 * MB);
  const a = takeScratch(3 * MB + 5);
  assert.equal(a.length, 3 * MB + 5);
  releaseScratch(a);
  releaseScratch(a); // a second give-back is ignored, not a second free entry
  const b = takeScratch(3 * MB - 100); // rounds to the same 3 MB capacity... or 4 MB: either way a's buffer fits
  assert.equal(b.buffer, a.buffer, "reused");
  const c = takeScratch(3 * MB);
  assert.notEqual(c.buffer, a.buffer, "one buffer is lent to one taker at a time");
  keepScratch(c);
  releaseScratch(c);
  assert.notEqual(takeScratch(3 * MB).buffer, c.buffer, "a kept buffer is out of reuse");
  const foreign = new Uint8Array(3 * MB).fill(7);
  releaseScratch(foreign);
  assert.notEqual(
    takeScratch(3 * MB).buffer,
    foreign.buffer,
    "an array not taken here is never lent",
  );
  // a big free buffer is not spent on a small take (at most twice the size)
  const big = takeScratch(20 * MB);
  releaseScratch(big);
  assert.notEqual(takeScratch(2 * MB).buffer, big.buffer);
  assert.equal(takeScratch(15 * MB).buffer, big.buffer);
});

test("the free scratch a thread keeps stays within its limit, and small buffers are left to the allocator", (t) => {
  t.after(() => limitScratch(64 * MB));
  limitScratch(5 * MB);
  const x = takeScratch(2 * MB);
  const y = takeScratch(2 * MB);
  const z = takeScratch(2 * MB);
  for (const v of [x, y, z]) releaseScratch(v);
  const again = [takeScratch(2 * MB), takeScratch(2 * MB), takeScratch(2 * MB)].map(
    (v) => v.buffer,
  );
  assert.equal(
    again.filter((b) => [x.buffer, y.buffer, z.buffer].includes(b)).length,
    2,
    "two 2 MB buffers fit 5 MB, not three",
  );
  limitScratch(0);
  const w = takeScratch(2 * MB);
  releaseScratch(w);
  assert.notEqual(takeScratch(2 * MB).buffer, w.buffer, "nothing is kept under a limit of 0");
  limitScratch(64 * MB);
  const small = takeScratch(1000);
  releaseScratch(small);
  assert.notEqual(takeScratch(1000).buffer, small.buffer);
  // the planner's share: an eighth of a worker's budget, at most 64 MB, none below one pooled buffer
  assert.equal(scratchShare(1024 * MB), 64 * MB);
  assert.equal(scratchShare(80 * MB), 10 * MB);
  assert.equal(scratchShare(96 << 10), 0);
});

test("a block pool drops the buffers it keeps for other sizes when a task's takes would exceed its share", () => {
  const pool = new BlockPool();
  const first = pool.scope(10 * MB);
  const old = [first.take(Uint8Array, 4 * MB), first.take(Uint8Array, 4 * MB)];
  assert.notEqual(old[0].buffer, old[1].buffer);
  first.end([]);
  // the next stage's blocks are of another size: taking them drops the old free buffers
  const second = pool.scope(10 * MB);
  const fresh = second.take(Uint8Array, 6 * MB);
  second.end([]);
  const third = pool.scope(10 * MB);
  const got = [third.take(Uint8Array, 4 * MB), third.take(Uint8Array, 6 * MB)];
  assert.equal(got[1].buffer, fresh.buffer, "the 6 MB buffer is reused");
  assert.equal(
    old.filter((o) => o.buffer === got[0].buffer).length,
    1,
    "one 4 MB buffer survived beside it: 4 + 4 + 6 MB is over the share, 4 + 6 is not",
  );
  pool.shrink(0);
  assert.notEqual(
    pool.scope(10 * MB).take(Uint8Array, 6 * MB).buffer,
    fresh.buffer,
    "shrink(0) empties the pool",
  );
});

test("a scope gives back only what it lent after a mark (a folded slab's blocks), and later takes reuse them", () => {
  const pool = new BlockPool();
  const scope = pool.scope(64 * MB);
  const out = scope.take(Uint8Array, 2 * MB);
  const mark = scope.mark();
  const slab = [scope.take(Uint8Array, 3 * MB), scope.take(Uint8Array, 3 * MB)];
  scope.end([], mark);
  const next = [scope.take(Uint8Array, 3 * MB), scope.take(Uint8Array, 3 * MB)].map(
    (a) => a.buffer,
  );
  assert.deepEqual(
    new Set(next),
    new Set(slab.map((a) => a.buffer)),
    "the next slab's blocks are the last one's",
  );
  assert.notEqual(
    scope.take(Uint8Array, 2 * MB).buffer,
    out.buffer,
    "what was lent before the mark is still held",
  );
  scope.end([]);
});
