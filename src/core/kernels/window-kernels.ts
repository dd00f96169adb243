import { stridesOf } from "../../array/copy-box.js";
import type { NumberArray } from "../../array/dtype.js";
import { boxShape, type Box } from "../box.js";
import type { Node, WindowNode } from "../graph.js";
import { InputError } from "../../util/errors.js";
import { isWhole, reducer } from "./reductions.js";

/** What a window kernel gets: the node, its input's block over `inBox`, and the output block. */
export interface WindowKernelArgs {
  node: WindowNode;
  input: Node;
  inBox: Box;
  data: NumberArray;
  box: Box;
  out: NumberArray;
}

export type WindowKernel = (args: WindowKernelArgs) => void;

/**
 * The general window reduction: each output element reduces the input values in its window
 * (the product of its per-dim windows; unwindowed dims map one to one). Params: `fn`
 * (a reduction name), `skipna`, `minCount` (fewer valid values give NaN). It costs O(window)
 * per element, which is what non-overlapping windows (coarsen, groups) need; overlapping
 * windows get their own kernels.
 */
const windowReduce: WindowKernel = ({ node, input, inBox, data, box, out }) => {
  const r = reducer(String(node.params.fn));
  const skipna = node.params.skipna !== false;
  const minCount = Number(node.params.minCount ?? 0);
  const params = (node.params.reducerParams ?? {}) as Record<string, number>;
  const inShape = boxShape(inBox);
  const inStrides = stridesOf(inShape);
  const outShape = boxShape(box);
  const nd = input.dims.length;
  // per input dim: which output dim drives it, and whether through a window
  const driver = input.dims.map((d) => {
    const w = node.windows[d];
    return { k: node.dims.indexOf(w ? w.outDim : d), w };
  });
  let buf = new Float64Array(64);
  const state = isWhole(r) ? [] : Array.from({ length: r.slots }, () => new Float64Array(1));
  const one = new Float64Array(1);
  const outIdx = new Array<number>(outShape.length).fill(0);
  const lo = new Array<number>(nd);
  const hi = new Array<number>(nd);
  for (let o = 0; o < out.length; o++) {
    let count = 1;
    for (let i = 0; i < nd; i++) {
      const { k, w } = driver[i];
      const j = box.start[k] + outIdx[k];
      lo[i] = (w ? Math.max(w.starts[j], inBox.start[i]) : j) - inBox.start[i];
      hi[i] = (w ? Math.min(w.stops[j], inBox.stop[i]) : j + 1) - inBox.start[i];
      count *= Math.max(0, hi[i] - lo[i]);
    }
    if (buf.length < count) buf = new Float64Array(count * 2);
    let n = 0;
    if (count > 0) {
      const idx = [...lo];
      for (;;) {
        let off = 0;
        for (let i = 0; i < nd; i++) off += idx[i] * inStrides[i];
        buf[n++] = data[off];
        let i = nd - 1;
        for (; i >= 0; i--) {
          if (++idx[i] < hi[i]) break;
          idx[i] = lo[i];
        }
        if (i < 0) break;
      }
    }
    let valid = 0;
    for (let j = 0; j < n; j++) if (buf[j] === buf[j]) valid++;
    const run = buf.subarray(0, n);
    if (valid < minCount || n === 0) out[o] = NaN;
    else if (isWhole(r)) {
      r.reduceRuns(run, n, one, skipna, params);
      out[o] = one[0];
    } else {
      r.init(state);
      r.foldRuns(state, run, n, 0, skipna);
      r.finalize(state, one, params);
      out[o] = one[0];
    }
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++outIdx[k] < outShape[k]) break;
      outIdx[k] = 0;
    }
  }
};

const kernels: Record<string, WindowKernel> = { reduce: windowReduce };

/** The window kernel `name`. */
export function windowKernel(name: string): WindowKernel {
  const k = kernels[name];
  if (!k) throw new InputError(`unknown window kernel "${name}" (known: ${Object.keys(kernels).join(", ")})`);
  return k;
}
