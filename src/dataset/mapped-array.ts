import type { Attrs, ChunkedArray, FillValue } from "../array/chunked-array.js";
import type { DType, TypedArray } from "../array/dtype.js";

/** What a value-by-value transform changes about an array. */
export interface MappedArrayProps {
  source: string;
  dtype: DType;
  fillValue: FillValue;
  attrs: Attrs;
  encoding?: Attrs;
}

/**
 * A lazy view of `base` whose chunks are `transform(chunk)`: each chunk (or region, when the
 * base has a fast region read) is transformed as it is read, never the whole array. Used for
 * CF decoding; `transform` must map values one to one (same length, same order).
 */
export function mapChunks(
  base: ChunkedArray,
  props: MappedArrayProps,
  transform: (chunk: TypedArray) => TypedArray,
): ChunkedArray {
  const mapped: ChunkedArray = {
    ...props,
    shape: base.shape,
    dims: base.dims,
    chunks: base.chunks,
    async readChunk(coords) {
      return transform(await base.readChunk(coords));
    },
  };
  const readRegion = base.readRegion?.bind(base);
  if (!readRegion) return mapped;
  return { ...mapped, readRegion: async (start, stop) => transform(await readRegion(start, stop)) };
}
