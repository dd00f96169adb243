/** Default size of a virtual chunk of a contiguous (unchunked) variable: big enough that a read is worth its overhead, small enough to fit many in a task's memory. */
export const VIRTUAL_CHUNK_BYTES = 4 << 20;

/**
 * A chunk shape for an array stored contiguously in C order (NetCDF-3 variables, contiguous
 * HDF5 datasets): inner dimensions whole and leading ones cut, so that each chunk is one
 * contiguous byte range of at most about `targetBytes` (a single inner row may exceed it only
 * when it cannot be cut: then it is cut along the last axis).
 *
 * @example
 * ```ts
 * contiguousChunkShape([1000, 721, 1440], 4); // [1, 721, 1440]: one 4 MB slab per index of the leading axis
 * ```
 */
export function contiguousChunkShape(
  shape: readonly number[],
  itemSize: number,
  targetBytes = VIRTUAL_CHUNK_BYTES,
): number[] {
  const chunk = shape.map(() => 1);
  let rowBytes = itemSize;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = Math.max(shape[d], 1);
    if (rowBytes * n <= targetBytes) {
      chunk[d] = n;
      rowBytes *= n;
      continue;
    }
    chunk[d] = Math.max(1, Math.floor(targetBytes / rowBytes));
    break;
  }
  return chunk;
}
