import type { ChunkGrid } from "../array/chunk-grid.js";
import { sizeOf } from "../array/chunked-array.js";
import { InputError } from "../util/errors.js";

/** Output chunks aim at this many bytes when the source's chunks cannot be kept. */
export const TARGET_CHUNK_BYTES = 4 << 20;
/** Source chunks up to this size are kept as they are. */
const MAX_KEPT_CHUNK_BYTES = 16 << 20;

/**
 * The chunk shape to write an array with: the source's chunks when its grid is regular and
 * its chunks are not huge, else the whole array split along its outer dimensions (halving
 * one dimension at a time, outermost first, so rows stay contiguous) until a chunk holds at
 * most `TARGET_CHUNK_BYTES`. `requested` (by dimension name) overrides single dimensions.
 */
export function outputChunkShape(
  dims: readonly string[],
  grid: ChunkGrid,
  itemSize: number,
  requested: Record<string, number> = {},
): number[] {
  const shape = grid.shape;
  const fixed = dims.map((dim) => requested[dim]);
  let chunk = grid.chunkShape.map((c, d) => Math.max(1, Math.min(c, shape[d])));
  if (!grid.isRegular || sizeOf(chunk) * itemSize > MAX_KEPT_CHUNK_BYTES) {
    chunk = shape.map((s) => Math.max(1, s));
    for (let d = 0; d < chunk.length; d++) {
      if (fixed[d] !== undefined) continue;
      while (
        chunk[d] > 1 &&
        sizeOf(chunk.map((c, i) => fixed[i] ?? c)) * itemSize > TARGET_CHUNK_BYTES
      )
        chunk[d] = Math.ceil(chunk[d] / 2);
    }
  }
  return chunk.map((c, d) =>
    fixed[d] !== undefined ? Math.max(1, Math.min(fixed[d]!, Math.max(shape[d], 1))) : c,
  );
}

/**
 * Checks a per-dimension size option (`chunks`, `shards`): every name must be a dimension of
 * the dataset and every size a positive integer.
 */
export function checkDimSizes(
  option: string,
  sizes: Record<string, number>,
  known: Iterable<string>,
): void {
  const dims = new Set(known);
  for (const [dim, n] of Object.entries(sizes)) {
    if (!dims.has(dim))
      throw new InputError(
        `${option}: no dimension "${dim}" (dimensions: ${[...dims].join(", ") || "none"})`,
      );
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new InputError(`${option}: size of ${dim} must be a positive integer, got ${n}`);
  }
}
