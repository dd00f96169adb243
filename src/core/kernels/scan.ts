import { stridesOf } from "../../array/copy-box.js";
import { boxShape } from "../box.js";
import type { WindowKernelArgs } from "./window-kernels.js";

/** The scans there are: how a value folds into the running one, and where a run starts. */
const SCANS: Record<string, { identity: number; fold: (run: number, x: number) => number }> = {
  cumsum: { identity: 0, fold: (run, x) => run + x },
  cumprod: { identity: 1, fold: (run, x) => run * x },
};

/**
 * The `scan` window kernel: cumulative sums or products along one dim, in segments of
 * `segment` positions so that no block reads the axis before it. The axis is read through
 * segment windows [S⌊j/S⌋, j+1): output j folds its segment up to j, starting from the
 * segment's carry — the fold of all earlier segments' totals. The totals (one value per
 * segment, the second input, read whole along `segmentDim`) are a streamed reduction computed
 * once for the whole axis (src/api/scan.ts), so a block far along a long axis reads its own
 * segments and a short row of totals, and gets the same answer as one block over the axis.
 *
 * Params: `fn` (cumsum, cumprod), `dim`, `segment`, `segmentDim`, `skipna` (NaN folds as the
 * identity, as numpy's nancumsum; otherwise NaN propagates).
 */
export function scan({ node, box, out, inputs }: WindowKernelArgs): void {
  const [x, totals] = inputs;
  const { identity, fold } = SCANS[String(node.params.fn)];
  const dim = String(node.params.dim);
  const S = Number(node.params.segment);
  const skipna = Boolean(node.params.skipna);
  const a = x.input.dims.indexOf(dim);
  const k = node.dims.indexOf(dim);
  const shape = boxShape(x.inBox);
  const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
  const inner = stridesOf(shape)[a];
  const [j0, j1] = [box.start[k], box.stop[k]];
  const from = x.inBox.start[a];
  const L = shape[a];
  const count = j1 - j0;
  if (count <= 0 || inner === 0) return;
  const c0 = Math.floor(j0 / S);
  const c1 = Math.floor((j1 - 1) / S);
  // carries of the segments the block touches, per outer index: [outer][c - c0][inner]
  const carries = new Float64Array(outer * (c1 - c0 + 1) * inner).fill(identity);
  if (totals) {
    const segments = boxShape(totals.inBox)[a];
    for (let o = 0; o < outer; o++) {
      const acc = new Float64Array(inner).fill(identity);
      for (let c = 0; c <= c1; c++) {
        if (c >= c0) carries.set(acc, (o * (c1 - c0 + 1) + c - c0) * inner);
        if (c >= segments) break;
        const row = (o * segments + c) * inner;
        for (let q = 0; q < inner; q++) {
          const v = totals.data[row + q];
          if (v === v || !skipna) acc[q] = fold(acc[q], v);
        }
      }
    }
  }
  const run = new Float64Array(inner);
  for (let o = 0; o < outer; o++)
    for (let t = 0; t < L; t++) {
      const j = from + t;
      if (j % S === 0 || t === 0)
        run.set(
          carries.subarray(
            (o * (c1 - c0 + 1) + Math.floor(j / S) - c0) * inner,
            (o * (c1 - c0 + 1) + Math.floor(j / S) - c0 + 1) * inner,
          ),
        );
      const at = (o * L + t) * inner;
      for (let q = 0; q < inner; q++) {
        const v = Number(x.data[at + q]);
        if (v === v || !skipna) run[q] = fold(run[q], v);
      }
      if (j >= j0) out.set(run, (o * count + j - j0) * inner);
    }
}
