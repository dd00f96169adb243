import type { ChunkGrid } from "./chunk-grid.js";
import type { DType, TypedArray } from "./dtype.js";

/** A JSON-like attribute value, as stored in Zarr attributes or NetCDF/HDF5 attributes. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

/** The fill value of an array: what a missing chunk reads as. */
export type FillValue = number | bigint | boolean | null;

/**
 * The one interface every layer above storage works with: an n-dimensional array, cut into
 * chunks, that can be read chunk by chunk. Chunk data is always the chunk's own extent
 * (clipped at the array's edges), in C order, in the typed array of `dtype`
 * (see `arrayClass`).
 *
 * A user can implement this for a format of their own, or for a function that computes
 * chunks, and everything above works on it.
 *
 * @example
 * ```ts
 * const a: ChunkedArray = fromTypedArray(new Float64Array(12), { shape: [3, 4], dims: ["y", "x"], chunks: [2, 2] });
 * const row = await readBox(a, [1, 0], [2, 4]); // Float64Array of 4
 * ```
 */
export interface ChunkedArray {
  /** Where the array lives, for messages: a path, URL or `memory`, and the variable name. */
  readonly source: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Dimension names, one per axis. */
  readonly dims: readonly string[];
  readonly chunks: ChunkGrid;
  readonly fillValue: FillValue;
  readonly attrs: Attrs;
  /** Reads chunk `coords` (one index per dimension): its whole (clipped) extent, C order. */
  readChunk(coords: readonly number[]): Promise<TypedArray>;
  /**
   * Optional fast path: reads the box `[start, stop)` when the format can do better than
   * chunk by chunk (e.g. a contiguous NetCDF-3 variable). `readBox()` uses it when present.
   */
  readRegion?(start: readonly number[], stop: readonly number[]): Promise<TypedArray>;
  /** Format-specific facts for `dae info` (codecs, compressor, storage order...). */
  readonly encoding?: Attrs;
}

/** A chunked array that can also be written, whole chunk by whole chunk. */
export interface WritableChunkedArray extends ChunkedArray {
  /**
   * Writes chunk `coords` (its clipped extent, C order). The write is atomic: a reader sees
   * the old chunk or the new one, never a part. A chunk that is all fill value may be skipped.
   */
  writeChunk(coords: readonly number[], data: TypedArray): Promise<void>;
  /**
   * Optional: `writeChunk` in two halves. Encodes chunk `coords` of `data` and resolves to the
   * write of the encoded bytes; `data` may be refilled once it resolves. A writer then encodes
   * the next chunk while the disk takes this one.
   */
  encodeChunk?(coords: readonly number[], data: TypedArray): Promise<() => Promise<void>>;
  /** Optional: removes chunk `coords`, which then reads as the fill value (used-up work stores). */
  deleteChunk?(coords: readonly number[]): Promise<void>;
}

/** Number of elements in a box or shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
