import type { BlockScope } from "./block-pool.js";
import type { ChunkCache } from "./chunk-cache.js";
import { sizeOf, type ChunkedArray } from "./chunked-array.js";
import { copyBox } from "./copy-box.js";
import { allocate, arrayClass, type TypedArray } from "./dtype.js";
import { FormatError, InputError } from "../util/errors.js";
import { keepScratch, releaseScratch } from "../util/scratch-buffers.js";

/** Options for `readBox`. */
export interface ReadBoxOptions {
  /** Decoded chunks shared between reads of one task. */
  cache?: ChunkCache;
  /** Chunks fetched and decoded at once (default READ_CONCURRENCY). */
  concurrency?: number;
  /** Where the box's array comes from (a task's reused buffers), if not fresh. */
  blocks?: BlockScope;
  /**
   * Boxes that later reads of the task will read (a task computed in steps): the chunks they
   * overlap stay in the cache, every other chunk leaves it once copied, and those are read
   * first, so the cache never holds the chunks used up and the ones kept for later at once.
   */
  retain?: readonly { start: readonly number[]; stop: readonly number[] }[];
}

/**
 * Chunks one box read fetches and decodes at once by default: enough to keep reads in flight
 * while one decodes (decoding runs on the reading thread), few enough that the plan's memory
 * projection (which counts them) stays small.
 */
export const READ_CONCURRENCY = 4;

/**
 * Reads the box `[start, stop)` of `array` into a new C-order typed array, touching only the
 * chunks it overlaps. Chunks need not line up with the box.
 */
export async function readBox(
  array: ChunkedArray,
  start: readonly number[],
  stop: readonly number[],
  options: ReadBoxOptions = {},
): Promise<TypedArray> {
  const n = array.shape.length;
  if (start.length !== n || stop.length !== n)
    throw new InputError(
      `${array.source}: a box of ${start.length} dimensions for an array of ${n}`,
    );
  for (let d = 0; d < n; d++)
    if (!(start[d] >= 0 && start[d] <= stop[d] && stop[d] <= array.shape[d]))
      throw new InputError(
        `${array.source}: box [${start}]..[${stop}] is outside shape [${array.shape}] on dimension ${array.dims[d]}`,
      );
  const extent = stop.map((s, d) => s - start[d]);
  if (array.readRegion && !options.cache) return array.readRegion(start, stop);
  if (sizeOf(extent) === 0) return allocate(array.dtype, 0);
  const ranges = array.chunks.dims.map((dc, d) => dc.overlapping(start[d], stop[d]));
  // a box that is exactly one chunk is that chunk: no copy (callers never write into it)
  const single = ranges.every(
    ([a, b], d) =>
      b - a === 1 &&
      array.chunks.dims[d].start(a) === start[d] &&
      array.chunks.dims[d].extent(a) === extent[d],
  );
  // a chunk the box covers whole is used up by this read: only chunks it cuts through are
  // cached, for the neighbouring reads of the same task (keeping whole ones holds their
  // memory from reuse for nothing)
  // (the cache is never told this read is done with it, so it is never reused under the box)
  const later = (c: number[]) => {
    if (!options.retain) return undefined;
    const box = array.chunks.chunkBox(c);
    return options.retain.some((r) =>
      box.start.every((s, d) => s < r.stop[d] && box.stop[d] > r.start[d]),
    );
  };
  if (single) {
    const c = ranges.map((r) => r[0]);
    const kept = later(c);
    const chunk = await loadChunk(array, c, options.cache, kept ?? false);
    if (kept === false) options.cache?.release(array, c);
    keepScratch(chunk); // where it was decoded for this read alone: out of reuse too
    return chunk;
  }
  // the chunks cover the box: every value of it is copied over
  const out = options.blocks
    ? options.blocks.take(arrayClass(array.dtype), sizeOf(extent), false)
    : allocate(array.dtype, sizeOf(extent));
  const reads = [...array.chunks.overlapping(start, stop)].map((c) => ({ c, later: later(c) }));
  // chunks used up first: those kept for later reads are decoded once the others are gone
  if (options.retain) reads.sort((a, b) => Number(a.later) - Number(b.later));
  const concurrency = options.concurrency ?? READ_CONCURRENCY;
  let next = 0;
  const worker = async () => {
    while (next < reads.length) {
      const { c, later } = reads[next++];
      const box = array.chunks.chunkBox(c);
      const whole = box.start.every((s, d) => s >= start[d] && box.stop[d] <= stop[d]);
      const data = await loadChunk(array, c, options.cache, later ?? !whole);
      const chunkShape = box.stop.map((s, d) => s - box.start[d]);
      const lo = box.start.map((s, d) => Math.max(s, start[d]));
      const hi = box.stop.map((s, d) => Math.min(s, stop[d]));
      copyBox(
        data,
        chunkShape,
        lo.map((v, d) => v - box.start[d]),
        out,
        extent,
        lo.map((v, d) => v - start[d]),
        hi.map((v, d) => v - lo[d]),
      );
      // used up: reused for the next decode, once the cache holds it no more
      if (later === false) options.cache?.release(array, c);
      if (options.cache) options.cache.done(data);
      else releaseScratch(data);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, reads.length) }, worker));
  return out;
}

/** Chunk `c` of `array` (through `cache` when given, kept there if `keep`), checked to hold the chunk's extent. */
async function loadChunk(
  array: ChunkedArray,
  c: number[],
  cache?: ChunkCache,
  keep = true,
): Promise<TypedArray> {
  const load = () => array.readChunk(c);
  const data = cache ? await cache.get(array, c, load, keep) : await load();
  const expected = sizeOf(array.chunks.chunkExtent(c));
  if (data.length !== expected)
    throw new FormatError(
      `${array.source}: chunk [${c}] holds ${data.length} values, expected ${expected} ([${array.chunks.chunkExtent(c)}])`,
    );
  return data;
}
