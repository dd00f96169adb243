import { ChunkGrid } from "./chunk-grid.js";
import { sizeOf, type Attrs, type FillValue, type WritableChunkedArray } from "./chunked-array.js";
import { copyBox } from "./copy-box.js";
import { allocate, arrayClass, type DType, type TypedArray } from "./dtype.js";
import { InputError } from "../util/errors.js";

/** Options for `fromTypedArray`. */
export interface MemoryArrayOptions {
  shape: readonly number[];
  /** Dimension names (default `dim_0`, `dim_1`, ...). */
  dims?: readonly string[];
  /** Chunk shape (default: one chunk), or a full grid for irregular chunks. */
  chunks?: readonly number[] | ChunkGrid;
  dtype?: DType;
  fillValue?: FillValue;
  attrs?: Attrs;
  source?: string;
}

/**
 * Wraps an in-memory typed array (C order) as a chunked array, so that everything that works
 * on files works on it too. Writing a chunk writes into `data`.
 *
 * @example
 * ```ts
 * const a = fromTypedArray(Float32Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3], dims: ["y", "x"], chunks: [1, 2] });
 * ```
 */
export function fromTypedArray(
  data: TypedArray,
  options: MemoryArrayOptions,
): WritableChunkedArray {
  const shape = [...options.shape];
  if (sizeOf(shape) !== data.length)
    throw new InputError(`an array of ${data.length} values cannot have shape [${shape}]`);
  const dtype = options.dtype ?? dtypeOfArray(data);
  const dims = options.dims ? [...options.dims] : shape.map((_, i) => `dim_${i}`);
  if (dims.length !== shape.length)
    throw new InputError(`dims [${dims}] do not match shape [${shape}]`);
  const chunks =
    options.chunks instanceof ChunkGrid
      ? options.chunks
      : ChunkGrid.regular(shape, options.chunks ?? shape.map((s) => Math.max(s, 1)));
  const source = options.source ?? "memory";
  const origin = shape.map(() => 0);
  return {
    source,
    shape,
    dtype,
    dims,
    chunks,
    fillValue: options.fillValue ?? null,
    attrs: options.attrs ?? {},
    async readChunk(coords) {
      chunks.checkCoords(coords, source);
      const { start, stop } = chunks.chunkBox(coords);
      const extent = stop.map((s, d) => s - start[d]);
      const out = allocate(dtype, sizeOf(extent));
      copyBox(data, shape, start, out, extent, origin, extent);
      return out;
    },
    async writeChunk(coords, chunk) {
      chunks.checkCoords(coords, source);
      const { start, stop } = chunks.chunkBox(coords);
      const extent = stop.map((s, d) => s - start[d]);
      if (chunk.length !== sizeOf(extent))
        throw new InputError(
          `${source}: chunk [${coords}] needs ${sizeOf(extent)} values, got ${chunk.length}`,
        );
      copyBox(chunk, extent, origin, data, shape, start, extent);
    },
  };
}

/** The dtype a typed array holds (Uint8Array counts as uint8, not bool). */
export function dtypeOfArray(data: TypedArray): DType {
  for (const dt of [
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
  ] as DType[])
    if (data instanceof arrayClass(dt)) return dt;
  throw new InputError(`unsupported typed array ${Object.prototype.toString.call(data)}`);
}
