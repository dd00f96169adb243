import { InputError, check } from "../util/errors.js";

/**
 * How one dimension of length `length` is cut into chunks: regular chunks of `size` (the
 * last one short), or explicit `sizes` (NetCDF, GeoTIFF strips, dask-style irregular grids).
 * Regular grids are never expanded into lists, so a lying header with 10^12 chunks costs
 * nothing until someone reads a chunk.
 */
export class DimChunks {
  private readonly offsets?: Float64Array;

  private constructor(
    readonly length: number,
    readonly size: number,
    readonly sizes?: readonly number[],
  ) {
    if (sizes) {
      this.offsets = new Float64Array(sizes.length + 1);
      for (let i = 0; i < sizes.length; i++) this.offsets[i + 1] = this.offsets[i] + sizes[i];
    }
  }

  static regular(length: number, size: number): DimChunks {
    check(Number.isSafeInteger(length) && length >= 0, `invalid dimension length ${length}`);
    check(Number.isSafeInteger(size) && size > 0, `invalid chunk size ${size}`);
    return new DimChunks(length, size);
  }

  static irregular(sizes: readonly number[]): DimChunks {
    for (const s of sizes) check(Number.isSafeInteger(s) && s > 0, `invalid chunk size ${s}`);
    const length = sizes.reduce((a, b) => a + b, 0);
    // sizes that a regular grid describes (all equal but a shorter last one) stay compact
    const regular =
      sizes.slice(0, -1).every((s) => s === sizes[0]) && sizes[sizes.length - 1] <= sizes[0];
    if (sizes.length <= 1 || regular) return new DimChunks(length, sizes[0] ?? Math.max(length, 1));
    return new DimChunks(length, 0, sizes);
  }

  get isRegular(): boolean {
    return this.sizes === undefined;
  }

  /** Number of chunks. */
  get count(): number {
    return this.sizes ? this.sizes.length : Math.ceil(this.length / this.size);
  }

  /** First index of chunk `i`. */
  start(i: number): number {
    return this.offsets ? this.offsets[i] : i * this.size;
  }

  /** Number of elements in chunk `i` (the last may be short). */
  extent(i: number): number {
    return this.sizes ? this.sizes[i] : Math.min(this.size, this.length - i * this.size);
  }

  /** The chunk holding index `pos` (0 <= pos < length). */
  indexOf(pos: number): number {
    if (!this.offsets) return Math.floor(pos / this.size);
    let lo = 0;
    let hi = this.sizes!.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Chunks `[first, last)` that overlap the index range `[start, stop)`. */
  overlapping(start: number, stop: number): [number, number] {
    if (stop <= start) return [0, 0];
    return [this.indexOf(start), this.indexOf(stop - 1) + 1];
  }

  /** The largest chunk extent. */
  get maxExtent(): number {
    return this.sizes ? Math.max(...this.sizes) : Math.min(this.size, this.length) || this.size;
  }

  /** Chunk sizes as a list (only for display and metadata; regular grids stay compact). */
  toSizes(): number[] {
    if (this.sizes) return [...this.sizes];
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.extent(i));
    return out;
  }
}

/** The chunk grid of an n-dimensional array: one `DimChunks` per dimension. */
export class ChunkGrid {
  constructor(readonly dims: readonly DimChunks[]) {}

  /** A regular grid: `chunkShape[d]` per dimension, edge chunks short. */
  static regular(shape: readonly number[], chunkShape: readonly number[]): ChunkGrid {
    if (shape.length !== chunkShape.length)
      throw new InputError(`chunk shape [${chunkShape}] does not match array shape [${shape}]`);
    return new ChunkGrid(shape.map((n, d) => DimChunks.regular(n, chunkShape[d])));
  }

  get ndim(): number {
    return this.dims.length;
  }

  get shape(): number[] {
    return this.dims.map((d) => d.length);
  }

  /** Number of chunks along each dimension. */
  get counts(): number[] {
    return this.dims.map((d) => d.count);
  }

  /** Total number of chunks. */
  get totalCount(): number {
    return this.dims.reduce((n, d) => n * d.count, 1);
  }

  /** Is every dimension regular? Then `chunkShape` describes the grid. */
  get isRegular(): boolean {
    return this.dims.every((d) => d.isRegular);
  }

  /** The nominal chunk shape (regular grids) or the largest extent per dimension. */
  get chunkShape(): number[] {
    return this.dims.map((d) => (d.isRegular ? d.size : d.maxExtent));
  }

  /** The box `[start, stop)` that chunk `coords` covers, clipped to the array. */
  chunkBox(coords: readonly number[]): { start: number[]; stop: number[] } {
    const start = coords.map((c, d) => this.dims[d].start(c));
    const stop = coords.map((c, d) => start[d] + this.dims[d].extent(c));
    return { start, stop };
  }

  /** The coordinates of the chunks that the box `[start, stop)` overlaps, in C order. */
  *overlapping(start: readonly number[], stop: readonly number[]): Generator<number[]> {
    const ranges = this.dims.map((dc, d) => dc.overlapping(start[d], stop[d]));
    if (ranges.some(([a, b]) => a >= b)) return;
    const coords = ranges.map((r) => r[0]);
    for (;;) {
      yield [...coords];
      let d = coords.length - 1;
      for (; d >= 0 && ++coords[d] >= ranges[d][1]; d--) coords[d] = ranges[d][0];
      if (d < 0) return;
    }
  }

  /** The shape of chunk `coords`, clipped to the array. */
  chunkExtent(coords: readonly number[]): number[] {
    return coords.map((c, d) => this.dims[d].extent(c));
  }

  /** Throws an `InputError` naming `what` unless `coords` is a chunk of this grid. */
  checkCoords(coords: readonly number[], what: string): void {
    const ok =
      coords.length === this.ndim &&
      coords.every((c, d) => Number.isInteger(c) && c >= 0 && c < this.dims[d].count);
    if (!ok)
      throw new InputError(`${what}: no chunk [${coords}] in a grid of [${this.counts}] chunks`);
  }
}
