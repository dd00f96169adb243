import { boxShape, type Box } from "../box.js";
import type { WindowNode } from "../graph.js";
import type { WindowBlock } from "./window-kernels.js";
import { clippedWindow, inputIndexAt, memberPosition } from "./window-axis.js";

/**
 * How one input dim of a window kernel's block is reached from the output block, in local
 * indices (0 = the block's first element):
 * - `plain`: input index = output index along dim `k` (+ `shift`);
 * - `lists`: output index j along `k` (-1: the dim is whole for every output) reads the input
 *   indices `idx[ptr[j]] … idx[ptr[j+1]-1]` (CSR);
 * - `members`: output (j along `k`, m along `m`) reads input index `table[j * members + m]`
 *   (-1: no value).
 */
export type LocalAxis =
  | { kind: "plain"; k: number; shift: number }
  | { kind: "lists"; k: number; ptr: Int32Array; idx: Int32Array }
  | { kind: "members"; k: number; m: number; members: number; table: Int32Array };

/**
 * The local axes of one input block of `node` over the output `box`. `local` maps an input
 * index along input dim i to its place in the block (default: offset from `inBox`; gathers
 * that read only some runs of a dim pass their own).
 */
export function localAxes(
  node: WindowNode,
  block: Pick<WindowBlock, "input" | "inBox" | "windows">,
  box: Box,
  local: (i: number, index: number) => number = (i, index) => index - block.inBox.start[i],
): LocalAxis[] {
  const outShape = boxShape(box);
  const { input, inBox, windows } = block;
  return input.dims.map((d, i): LocalAxis => {
    const n = input.shape[i];
    const w = windows[d];
    if (!w) {
      const k = node.dims.indexOf(d);
      return { kind: "plain", k, shift: box.start[k] - inBox.start[i] };
    }
    const k = w.outDim ? node.dims.indexOf(w.outDim) : -1;
    const count = k < 0 ? 1 : outShape[k];
    if (w.memberDim) {
      const m = node.dims.indexOf(w.memberDim);
      const members = outShape[m];
      const table = new Int32Array(count * members);
      for (let j = 0; j < count; j++)
        for (let q = 0; q < members; q++) {
          const p = memberPosition(w, box.start[k] + j, box.start[m] + q, n);
          const at = p < 0 ? -1 : inputIndexAt(w, p);
          table[j * members + q] = at < 0 ? -1 : local(i, at);
        }
      return { kind: "members", k, m, members, table };
    }
    const ptr = new Int32Array(count + 1);
    const idx: number[] = [];
    for (let j = 0; j < count; j++) {
      const [lo, hi] = k < 0 ? [0, n] : clippedWindow(w, box.start[k] + j, n);
      for (let p = lo; p < hi; p++) {
        const at = k < 0 ? p : inputIndexAt(w, p);
        if (at >= 0) idx.push(local(i, at));
      }
      ptr[j + 1] = idx.length;
    }
    return { kind: "lists", k, ptr, idx: Int32Array.from(idx) };
  });
}

/** Calls `visit(o, outIdx)` for every output element of `shape`, in C order. */
export function forEachIndex(
  shape: readonly number[],
  visit: (o: number, idx: readonly number[]) => void,
): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    visit(o, idx);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}
