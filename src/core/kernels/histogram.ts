import { boxShape, type Box } from "../box.js";
import type { WindowKernelArgs } from "./window-kernels.js";

/** Input elements a histogram slab may hold (unless the kept block alone is larger). */
export const HISTOGRAM_SLAB = 1 << 20;

/**
 * The slab a histogram streams its input box in: kept dims whole, reduced dims (`reduced`)
 * cut from the outermost so the slab holds about HISTOGRAM_SLAB elements. The planner's
 * memory estimate uses the same rule.
 */
export function histogramSlab(inBox: Box, reduced: readonly boolean[]): number[] {
  const shape = boxShape(inBox);
  let size = shape.reduce((p, n, i) => (reduced[i] ? p : p * n), 1);
  const limit = Math.max(HISTOGRAM_SLAB, size);
  const extents = [...shape];
  for (let i = shape.length - 1; i >= 0; i--) {
    if (!reduced[i]) continue;
    extents[i] = Math.max(1, Math.min(shape[i], Math.floor(limit / size)));
    size *= extents[i];
  }
  return extents;
}

/** The bin of `x` among ascending `edges` (numpy: [e_i, e_i+1), the last bin closed), or -1. */
function binOf(x: number, edges: readonly number[]): number {
  const last = edges.length - 1;
  if (!(x >= edges[0] && x <= edges[last])) return -1;
  if (x === edges[last]) return last - 1;
  let a = 0;
  let b = last;
  while (b - a > 1) {
    const mid = (a + b) >>> 1;
    if (edges[mid] <= x) a = mid;
    else b = mid;
  }
  return a;
}

/**
 * The `histogram` window kernel (streaming): counts per kept element and bin of the values
 * over the reduced dims (windows without `outDim`), bins from params `edges` (ascending,
 * numpy's rule), the bin dim last in the output. NaN and values outside the edges are not
 * counted. It reads its input in slabs, so memory does not grow with the reduced extent.
 */
export async function histogram({ node, out, inputs, read }: WindowKernelArgs): Promise<void> {
  const [{ input, inBox, windows }] = inputs;
  const edges = node.params.edges as number[];
  const bins = edges.length - 1;
  out.fill(0);
  const reduced = input.dims.map((d) => d in windows);
  const extents = histogramSlab(inBox, reduced);
  const shape = boxShape(inBox);
  // the output stride of each input dim (kept dims keep their order, the bin dim is last)
  const keptStrides = new Array<number>(input.dims.length).fill(0);
  let s = bins;
  for (let i = input.dims.length - 1; i >= 0; i--) {
    if (reduced[i]) continue;
    keptStrides[i] = s;
    s *= shape[i];
  }
  if (shape.some((n) => n === 0) || bins <= 0) return;
  const slab = {
    start: [...inBox.start],
    stop: inBox.start.map((a, i) => Math.min(inBox.stop[i], a + extents[i])),
  };
  for (;;) {
    const data = await read(input.id, slab);
    const slabShape = boxShape(slab);
    const idx = new Array<number>(shape.length).fill(0);
    for (let e = 0; e < data.length; e++) {
      const b = binOf(data[e], edges);
      if (b >= 0) {
        let o = b;
        for (let i = 0; i < idx.length; i++)
          o += (idx[i] + slab.start[i] - inBox.start[i]) * keptStrides[i];
        out[o]++;
      }
      for (let i = idx.length - 1; i >= 0; i--) {
        if (++idx[i] < slabShape[i]) break;
        idx[i] = 0;
      }
    }
    if (!nextSlab(slab, inBox, extents, reduced)) return;
  }
}

/**
 * Moves `slab` to the next slab of `inBox` along the reduced dims (`histogramSlab`'s
 * extents), in C order; false after the last.
 */
export function nextSlab(
  slab: Box,
  inBox: Box,
  extents: readonly number[],
  reduced: readonly boolean[],
): boolean {
  for (let i = extents.length - 1; i >= 0; i--) {
    if (!reduced[i]) continue;
    slab.start[i] += extents[i];
    if (slab.start[i] < inBox.stop[i]) {
      slab.stop[i] = Math.min(inBox.stop[i], slab.start[i] + extents[i]);
      return true;
    }
    slab.start[i] = inBox.start[i];
    slab.stop[i] = Math.min(inBox.stop[i], slab.start[i] + extents[i]);
  }
  return false;
}
