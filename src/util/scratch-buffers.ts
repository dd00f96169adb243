import { populate } from "./malloc-tuning.js";

/** Capacities are rounded up to this, so compressed chunks of varying size reuse each other's buffers. */
const GRAIN = 1 << 20;
/** Smaller buffers are left to the allocator, which reuses small blocks well by itself. */
const MIN_SCRATCH = 64 << 10;
/** A taken buffer reuses a free one at most this many times its size (a big one stays for big takes). */
const MAX_WASTE = 2;

/** The most free bytes a thread keeps for its next takes. */
const SCRATCH_FREE_BYTES = 64 << 20;

/**
 * The free scratch bytes a worker with `perWorker` bytes of the budget keeps: an eighth of
 * it, at most SCRATCH_FREE_BYTES, none where that could not hold one pooled buffer. The plan
 * counts them in each task's memory (they stay allocated between reads).
 */
export function scratchShare(perWorker: number): number {
  const share = Math.min(SCRATCH_FREE_BYTES, Math.floor(perWorker / 8));
  return share >= MIN_SCRATCH ? share : 0;
}

const free: ArrayBuffer[] = [];
let freeBytes = 0;
let maxFreeBytes = SCRATCH_FREE_BYTES;
/** Buffers taken and not yet given back or kept: only these are ever reused. */
const lent = new WeakSet<ArrayBuffer>();

/**
 * A buffer of `bytes` for data that lives through one chunk read or write: a file's bytes,
 * a decoded chunk, an encoded one. Its contents are whatever was there (callers fill it whole).
 *
 * Why: a fresh buffer per chunk leaves its memory to V8's next collection, and until then dead
 * chunks pile up in the allocator beyond anything the plan counts. The one reader that used a
 * buffer up gives it back
 * (`releaseScratch`) and the next take of about its size reuses it.
 *
 * @example
 * ```ts
 * const bytes = takeScratch(n); // fill it, decode from it...
 * releaseScratch(bytes);        // ...then give it back when nothing else holds it
 * ```
 */
export function takeScratch(bytes: number): Uint8Array {
  if (bytes < MIN_SCRATCH) return new Uint8Array(bytes);
  const capacity = Math.ceil(bytes / GRAIN) * GRAIN;
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i].byteLength;
    if (
      size >= capacity &&
      size <= capacity * MAX_WASTE &&
      (best < 0 || size < free[best].byteLength)
    )
      best = i;
  }
  let buf: ArrayBuffer;
  if (best >= 0) {
    buf = free[best];
    free.splice(best, 1);
    freeBytes -= buf.byteLength;
  } else buf = populate(Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer);
  lent.add(buf);
  return new Uint8Array(buf, 0, bytes);
}

/**
 * Gives back the buffer under `view` for reuse: only the reader that took it (or got it from
 * a read that took it) may, and only when nothing else will read it again. Any other buffer,
 * or one given back or kept already, is left alone, so giving back is always safe to try for
 * what a read returned — a cached or caller-owned array simply was not lent.
 */
export function releaseScratch(view: ArrayBufferView | undefined): void {
  const buf = view?.buffer as ArrayBuffer | undefined;
  if (!buf || !lent.has(buf)) return;
  lent.delete(buf);
  if (freeBytes + buf.byteLength > maxFreeBytes) return; // left to the collector
  free.push(buf);
  freeBytes += buf.byteLength;
}

/** Takes the buffer under `view` out of reuse: whoever holds it may keep it (a cache, a result). */
export function keepScratch(view: ArrayBufferView): void {
  lent.delete(view.buffer as ArrayBuffer);
}

/** Keeps at most `bytes` free from now on (a task's share, from its plan), dropping the oldest beyond. */
export function limitScratch(bytes: number): void {
  maxFreeBytes = bytes;
  while (freeBytes > maxFreeBytes) freeBytes -= free.shift()!.byteLength;
}
