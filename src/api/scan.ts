import { isFloat } from "../array/dtype.js";
import type { WindowAxis } from "../core/graph.js";
import { reducer } from "../core/kernels/reductions.js";
import { defaultChunks } from "../plan/planner.js";
import { buildReduce } from "./build.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow, type BuildWindowInput } from "./windows.js";

/** Options of `cumsum` and `cumprod`. */
export interface ScanOptions {
  /** Skip NaN (it counts as 0 for sums, 1 for products; default: true for floats, as xarray). */
  skipna?: boolean;
}

/**
 * The segment length of a scan along an axis of `n` positions whose source chunk is `chunk`:
 * whole chunks (a block on chunk edges then reads nothing before it), and at least √n, so
 * the row of segment totals every block reads is at most about √n long.
 */
function segmentLength(n: number, chunk: number): number {
  const least = Math.ceil(Math.sqrt(n));
  return Math.min(n, chunk >= least ? chunk : Math.ceil(least / chunk) * chunk);
}

/**
 * The cumulative `fn` (sum or prod) of `array` along `dim`, as xarray's `cumsum`/`cumprod`:
 * a segmented scan. The axis is cut into segments; each segment's total is a streamed
 * grouped reduction (members of segment c are positions cS … cS+S-1), and the `scan` kernel
 * folds each output position from its segment's start, beginning with the fold of the earlier
 * segments' totals (kernels/scan.ts). Memory per block is its own segments plus one row of
 * totals; the totals, read by every block along the axis, are computed once first as a
 * shared result (shared-results.ts) when the axis spans several blocks.
 */
export function cumulative(
  array: LazyArray,
  fn: "sum" | "prod",
  dim: string,
  options: ScanOptions = {},
): LazyArray {
  const n = array.sizeOf(dim);
  const axis = array.dims.indexOf(dim);
  const skipna = options.skipna ?? isFloat(array.dtype);
  const { built } = array;
  const S = Math.max(1, segmentLength(n, defaultChunks(built.graph, built.node, 0)[axis]));
  const segments = Math.ceil(n / S);
  const segmentDim = `${dim}_segment`;
  const inputs: BuildWindowInput[] = [
    {
      built,
      windows: { [dim]: { outDim: dim, offset: 1 - S, step: 1, size: S, segment: S } },
    },
  ];
  if (segments > 1) {
    // segment c's members are positions cS + m, laid out as a group gather, so the totals
    // are a grouped reduction that streams the axis once in order (core/group-fold.ts)
    const memberDim = `${dim}_member`;
    const index = Array.from({ length: segments * S }, (_, p) => (p < n ? p : -1));
    const windows: Record<string, WindowAxis> = {
      [dim]: { outDim: segmentDim, offset: 0, step: S, size: S, index, memberDim },
    };
    const layout = buildWindow(
      "gather",
      [{ built, windows }],
      [memberDim, ...array.dims.map((d) => (d === dim ? segmentDim : d))],
      [S, ...array.shape.map((s, i) => (i === axis ? segments : s))],
      "float64",
      { fn: `${dim} segments` },
    );
    const totals = buildReduce(fn, layout, [memberDim], { skipna });
    inputs.push({ built: totals, windows: { [segmentDim]: {} } });
  }
  const scanned = buildWindow(
    "scan",
    inputs,
    [...array.dims],
    [...array.shape],
    reducer(fn).dtype(array.dtype),
    { fn: `cum${fn}`, dim, segment: S, segmentDim, skipna },
  );
  return new LazyArray(scanned, { ...array.coords }, {}, array.name);
}
