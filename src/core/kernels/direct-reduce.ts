import { stridesOf } from "../../array/copy-box.js";
import { boxShape } from "../box.js";
import { isWhole, reducer } from "./reductions.js";
import type { WindowKernelArgs } from "./window-kernels.js";
import { forEachIndex, localAxes } from "./window-layout.js";

/**
 * The general window reduction: each output element reduces the input values in its window
 * (the product of its per-dim windows; unwindowed dims map one to one). Params: `fn` (a
 * reduction name), `skipna`, `minCount` (fewer valid values give NaN), `emptyIsNaN` (an
 * empty window gives NaN), `reducerParams`.
 * It costs O(window) per element: what non-overlapping windows need, and what an n-D
 * median (not separable) costs; overlapping 1-D windows use the `sweep` kernel instead.
 */
export function directReduce({ node, box, out, inputs }: WindowKernelArgs): void {
  const [block] = inputs;
  const r = reducer(String(node.params.fn));
  const skipna = node.params.skipna !== false;
  const minCount = Number(node.params.minCount ?? 0);
  const params = (node.params.reducerParams ?? {}) as Record<string, number>;
  const strides = stridesOf(boxShape(block.inBox));
  const axes = localAxes(node, block, box);
  const nd = axes.length;
  let buf = new Float64Array(64);
  const state = isWhole(r) ? [] : Array.from({ length: r.slots }, () => new Float64Array(1));
  const one = new Float64Array(1);
  // per input dim, the local input indices the current output element reads
  const lists: { idx: Int32Array; from: number; to: number }[] = axes.map(() => ({
    idx: new Int32Array(1),
    from: 0,
    to: 1,
  }));
  const pos = new Int32Array(nd);
  forEachIndex(boxShape(box), (o, outIdx) => {
    let count = 1;
    axes.forEach((a, i) => {
      const l = lists[i];
      if (a.kind === "plain") {
        l.idx[0] = outIdx[a.k] + a.shift;
        l.from = 0;
        l.to = 1;
      } else if (a.kind === "lists") {
        const j = a.k < 0 ? 0 : outIdx[a.k];
        l.idx = a.idx;
        l.from = a.ptr[j];
        l.to = a.ptr[j + 1];
      } else throw new Error("the reduce kernel does not lay out members");
      count *= l.to - l.from;
    });
    if (buf.length < count) buf = new Float64Array(count * 2);
    let n = 0;
    let valid = 0;
    if (count > 0) {
      for (let i = 0; i < nd; i++) pos[i] = lists[i].from;
      for (;;) {
        let off = 0;
        for (let i = 0; i < nd; i++) off += lists[i].idx[pos[i]] * strides[i];
        const x = block.data[off];
        if (x === x) valid++;
        buf[n++] = x;
        let i = nd - 1;
        for (; i >= 0; i--) {
          if (++pos[i] < lists[i].to) break;
          pos[i] = lists[i].from;
        }
        if (i < 0) break;
      }
    }
    const run = buf.subarray(0, n);
    if (valid < minCount || (n === 0 && node.params.emptyIsNaN)) out[o] = NaN;
    else if (isWhole(r)) {
      r.reduceRuns(run, n, one, skipna, params);
      out[o] = one[0];
    } else {
      r.init(state);
      r.foldRuns(state, run, n, 0, skipna);
      r.finalize(state, one, params);
      out[o] = one[0];
    }
  });
}
