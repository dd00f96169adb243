import { populate } from "../util/malloc-tuning.js";

/** Arrays smaller than this are left to the allocator (it reuses small blocks well by itself). */
const MIN_POOLED = 1 << 20;
/** Buffer sizes are rounded up to this, so the smaller blocks at an array's edges reuse whole ones'. */
const GRAIN = 1 << 20;

/** A typed-array class that can view a buffer. */
export interface ViewClass<T> {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * The buffers of blocks that finished tasks are done with, for the next task on this thread.
 *
 * Why: a fresh block of tens of MB is faulted into memory page by page (on virtual machines
 * more than decoding it costs), and a dead one lingers until V8 collects
 * it, so without reuse every task pays for its blocks twice: in page faults and in garbage
 * collections. A scope gives back at most its `maxFreeBytes` (a task's projected peak: what
 * the next task would allocate anyway).
 *
 * @example
 * ```ts
 * const pool = new BlockPool();
 * const scope = pool.scope(256 << 20);
 * const block = scope.take(Float32Array, 1 << 20);
 * // ... compute into block ...
 * scope.end([]); // block's buffer goes back to the pool for the next task
 * ```
 */
export class BlockPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;

  /** A scope for one task: what it takes goes back to the pool when it ends, while the pool holds at most `maxFreeBytes`. */
  scope(maxFreeBytes: number): BlockScope {
    return new BlockScope(this, maxFreeBytes);
  }

  /**
   * The smallest free buffer of at least `bytes` and at most twice that, if one is here. A
   * larger one serves too: the blocks at an array's edge are smaller than the others, and
   * with exact sizes only a thread given edge and inner blocks in turn dropped and faulted in
   * a large buffer on every task.
   */
  reuse(bytes: number): ArrayBuffer | undefined {
    let best: number | undefined;
    for (const [size, list] of this.free)
      if (
        list.length > 0 &&
        size >= bytes &&
        size <= 2 * bytes &&
        (best === undefined || size < best)
      )
        best = size;
    if (best === undefined) return undefined;
    const buf = this.free.get(best)!.pop()!;
    this.freeBytes -= best;
    return buf;
  }

  /**
   * Drops free buffers, those kept longest first, until at most `maxFreeBytes` are free: a
   * task whose blocks have other sizes than the last one's (the next stage of a rechunk)
   * must not hold the old ones besides its own.
   */
  shrink(maxFreeBytes: number): void {
    for (const [size, list] of this.free) {
      while (list.length > 0 && this.freeBytes > maxFreeBytes) {
        list.shift();
        this.freeBytes -= size;
      }
      if (list.length === 0) this.free.delete(size);
      if (this.freeBytes <= maxFreeBytes) return;
    }
  }

  /** Keeps `buf` for reuse, unless it was transferred away or the pool would hold more than `maxFreeBytes`. */
  give(buf: ArrayBuffer, maxFreeBytes: number): void {
    if (buf.byteLength === 0 || this.freeBytes + buf.byteLength > maxFreeBytes) return;
    let list = this.free.get(buf.byteLength);
    if (!list) this.free.set(buf.byteLength, (list = []));
    list.push(buf);
    this.freeBytes += buf.byteLength;
  }
}

/** The arrays one task takes from a `BlockPool`; `end` gives them back. */
export class BlockScope {
  private readonly lent: ArrayBuffer[] = [];
  private readonly lentNow = new Set<ArrayBuffer>();
  /** Buffers a background encode still reads: they go back to the pool once it is done. */
  private readonly held = new Map<ArrayBuffer, Promise<void>>();
  private lentBytes = 0;
  /** The most this scope has lent at once: keeping that much free raises no peak (buffers round up to grains, past a projection). */
  private mostLent = 0;

  constructor(
    private readonly pool: BlockPool,
    private readonly maxFreeBytes: number,
  ) {}

  /**
   * An array of `length` elements, on a reused buffer where the pool has one: zero-filled, or
   * with `zeroed` false holding whatever was there (for arrays the caller writes whole).
   */
  take<T>(Class: ViewClass<T>, length: number, zeroed = true): T {
    const bytes = length * Class.BYTES_PER_ELEMENT;
    if (bytes < MIN_POOLED) return new Class(length);
    const size = Math.ceil(bytes / GRAIN) * GRAIN;
    const reused = this.pool.reuse(size);
    // what this task holds and what stays free together stay within its share
    if (!reused) this.pool.shrink(Math.max(0, this.maxFreeBytes - this.lentBytes - size));
    const buf = reused ?? populate(new ArrayBuffer(size));
    this.lent.push(buf);
    this.lentNow.add(buf);
    this.lentBytes += buf.byteLength;
    this.mostLent = Math.max(this.mostLent, this.lentBytes);
    const array = new Class(buf, 0, length);
    if (reused && zeroed) new Uint8Array(buf, 0, bytes).fill(0);
    return array;
  }

  /**
   * Keeps `buf`, if this scope lent it, from the pool until `until` settles (a chunk of it is
   * being encoded in the background): `end` gives it back then, not at once.
   */
  holdUntil(buf: ArrayBufferLike, until: Promise<unknown>): void {
    const lent = buf as ArrayBuffer;
    if (!this.lentNow.has(lent)) return;
    const settled = until.then(
      () => undefined,
      () => undefined,
    );
    const before = this.held.get(lent);
    this.held.set(lent, before ? before.then(() => settled) : settled);
  }

  /** Whether `array` views, from its start, a buffer this scope has lent and not taken back. */
  owns(array: ArrayBufferView): boolean {
    return array.byteOffset === 0 && this.lentNow.has(array.buffer as ArrayBuffer);
  }

  /** How many buffers this scope has lent so far: `end(keep, mark)` gives back only those lent after. */
  mark(): number {
    return this.lent.length;
  }

  /**
   * Gives back every buffer this scope lent (after `since`, a `mark`) except those under
   * `keep` (arrays that outlive the task, like results handed to the caller). Call only when
   * nothing else holds them.
   */
  end(keep: readonly (ArrayBufferView | undefined)[], since = 0): void {
    const kept = new Set(keep.map((a) => a?.buffer));
    for (const buf of this.lent.splice(since)) {
      this.lentNow.delete(buf);
      this.lentBytes -= buf.byteLength;
      const held = this.held.get(buf);
      this.held.delete(buf);
      if (kept.has(buf)) continue;
      const max = Math.max(this.maxFreeBytes, this.mostLent);
      if (held) void held.then(() => this.pool.give(buf, max));
      else this.pool.give(buf, max);
    }
  }
}
