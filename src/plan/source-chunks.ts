import type { SourceNode } from "../core/graph.js";

/**
 * The first and last chunk of source dim `j` that the range [a, b) overlaps (last < first
 * when the range is empty). Plans describe irregular grids by their sizes (NetCDF, GeoTIFF).
 */
export function chunkSpan(source: SourceNode, j: number, a: number, b: number): [number, number] {
  if (b <= a) return [0, -1];
  const sizes = source.chunkSizes?.[j];
  if (!sizes) {
    const c = source.chunkShape[j];
    return [Math.floor(a / c), Math.floor((b - 1) / c)];
  }
  let first = -1;
  let last = -1;
  for (let i = 0, s = 0; i < sizes.length && s < b; s += sizes[i++]) {
    if (s + sizes[i] <= a) continue;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? [0, -1] : [first, last];
}

/** Chunks of source dim `j` that the range [a, b) overlaps. */
export function overlap(source: SourceNode, j: number, a: number, b: number): number {
  const [first, last] = chunkSpan(source, j, a, b);
  return last - first + 1;
}
