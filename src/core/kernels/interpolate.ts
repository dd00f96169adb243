import { stridesOf } from "../../array/copy-box.js";
import { boxShape } from "../box.js";
import type { WindowKernelArgs } from "./window-kernels.js";

/**
 * The `interp` window kernel, along one windowed dim: target j takes
 * `y[lo_j] + t_j * (y[hi_j] - y[lo_j])` (scipy's interp1d formula, so NaN neighbours give NaN
 * as in xarray), NaN where `lo_j` is -1 (outside the source range). Params per target index
 * of the whole output dim: `lo`, `hi` (source indices), `t` (fraction; 0 for nearest).
 */
export function interpolate({ node, box, out, inputs }: WindowKernelArgs): void {
  const [{ input, inBox, data, windows }] = inputs;
  const [dim] = Object.keys(windows);
  const a = input.dims.indexOf(dim);
  const k = node.dims.indexOf(windows[dim].outDim!);
  const lo = node.params.lo as number[];
  const hi = node.params.hi as number[];
  const t = node.params.t as number[];
  const inShape = boxShape(inBox);
  const inner = stridesOf(inShape)[a];
  const outer = inShape.slice(0, a).reduce((p, q) => p * q, 1);
  const L = inShape[a];
  const count = box.stop[k] - box.start[k];
  for (let j = 0; j < count; j++) {
    const J = box.start[k] + j;
    const l = lo[J] - inBox.start[a];
    const h = hi[J] - inBox.start[a];
    const f = t[J];
    for (let o = 0; o < outer; o++) {
      const src = o * L * inner;
      const dst = (o * count + j) * inner;
      if (lo[J] < 0) out.fill(NaN, dst, dst + inner);
      else
        for (let i = 0; i < inner; i++) {
          const y0 = data[src + l * inner + i];
          out[dst + i] = f === 0 && l === h ? y0 : y0 + f * (data[src + h * inner + i] - y0);
        }
    }
  }
}
