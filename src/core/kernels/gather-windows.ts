import { copyBox, stridesOf } from "../../array/copy-box.js";
import type { NumberArray } from "../../array/dtype.js";
import { boxShape, type Box } from "../box.js";
import { engineAllocate } from "./numeric.js";
import type { WindowAxis, WindowNode } from "../graph.js";
import type { WindowKernelArgs } from "./window-kernels.js";
import { forEachIndex, localAxes, type LocalAxis } from "./window-layout.js";

/** Input indices closer than this along a gathered dim are read as one run (fewer, larger reads). */
const RUN_GAP = 4;

/**
 * The `gather` window kernel: pure data movement, no reduction. Each output element reads
 * one input element: along a windowed dim with `memberDim`, member m of window j; along a
 * windowed dim without, the first position of window j (windows of one: a group result
 * broadcast back along time through the time → group index). No value (a padded member,
 * an empty window) reads as NaN.
 *
 * It streams: along the first dim gathered through an index list it reads only the runs of
 * indices the output block needs (a slab of members of all twelve months is twelve short
 * runs of days, not the year between them), so memory and reads follow the output block.
 */
export async function gatherWindows({
  node,
  box,
  out,
  inputs,
  read,
}: WindowKernelArgs): Promise<void> {
  const [block] = inputs;
  const { input, inBox, windows } = block;
  const a = input.dims.findIndex((d) => windows[d]?.index);
  let data: NumberArray;
  let axes: LocalAxis[];
  let shape = boxShape(inBox);
  if (a < 0) {
    data = await read(input.id, inBox);
    axes = localAxes(node, block, box);
  } else {
    const runs = indexRuns(
      neededIndices(localAxes(node, block, box, (_, index) => index)[a]),
      gatheredPositions(node, windows[input.dims[a]], box),
    );
    const place = new Map<number, number>();
    let total = 0;
    for (const [lo, hi] of runs) for (let x = lo; x < hi; x++) place.set(x, total++);
    shape = shape.map((n, i) => (i === a ? total : n));
    data = engineAllocate(
      input.dtype,
      shape.reduce((p, q) => p * q, 1),
    );
    let at = 0;
    for (const [lo, hi] of runs) {
      const runBox: Box = {
        start: inBox.start.map((s, i) => (i === a ? lo : s)),
        stop: inBox.stop.map((s, i) => (i === a ? hi : s)),
      };
      const part = await read(input.id, runBox);
      const extent = boxShape(runBox);
      copyBox(
        part,
        extent,
        extent.map(() => 0),
        data,
        shape,
        shape.map((_, i) => (i === a ? at : 0)),
        extent,
      );
      at += hi - lo;
    }
    axes = localAxes(node, block, box, (i, index) =>
      i === a ? place.get(index)! : index - inBox.start[i],
    );
  }
  copyGathered(axes, data, stridesOf(shape), boxShape(box), out);
}

/**
 * Fills `out` (C order over `outShape`) from `data` through the local axes. Rows along the
 * last output dim are copied with one stride when a plain axis alone drives that dim (the
 * usual case: groups and time are outer dims), element by element otherwise.
 */
function copyGathered(
  axes: LocalAxis[],
  data: NumberArray,
  strides: number[],
  outShape: number[],
  out: NumberArray,
): void {
  const last = outShape.length - 1;
  const drivers = axes.flatMap((ax, i) =>
    ax.k === last || (ax.kind === "members" && ax.m === last) ? [i] : [],
  );
  const rowAxis = drivers.length === 1 && axes[drivers[0]].kind === "plain" ? drivers[0] : -1;
  const row = rowAxis >= 0 ? outShape[last] : 1;
  const rowStride = rowAxis >= 0 ? strides[rowAxis] : 0;
  const rowShape = rowAxis >= 0 ? [...outShape.slice(0, last), 1] : outShape;
  forEachIndex(rowShape, (r, outIdx) => {
    let off = 0;
    for (let i = 0; i < axes.length; i++) {
      const ax = axes[i];
      let at: number;
      if (ax.kind === "plain") at = outIdx[ax.k] + ax.shift;
      else if (ax.kind === "members") at = ax.table[outIdx[ax.k] * ax.members + outIdx[ax.m]];
      else {
        const j = ax.k < 0 ? 0 : outIdx[ax.k];
        at = ax.ptr[j + 1] > ax.ptr[j] ? ax.idx[ax.ptr[j]] : -1;
      }
      if (at < 0) {
        off = -1;
        break;
      }
      off += at * strides[i];
    }
    const o = r * row;
    if (off < 0) out.fill(NaN, o, o + row);
    // a contiguous row (groups broadcast back along time) is one native copy
    else if (rowStride === 1) out.set(data.subarray(off, off + row), o);
    else for (let q = 0; q < row; q++) out[o + q] = data[off + q * rowStride];
  });
}

/** The input indices a gathered axis reads, ascending, without repeats. */
function neededIndices(axis: LocalAxis): number[] {
  const values =
    axis.kind === "members" ? axis.table : axis.kind === "lists" ? axis.idx : new Int32Array(0);
  return [...new Set(Array.from(values).filter((x) => x >= 0))].sort((x, y) => x - y);
}

/**
 * Output positions (window × member) of `box` along a gathered axis: what the planner
 * promises a gather holds of that axis (plan/memory's gatheredBox).
 */
function gatheredPositions(node: WindowNode, w: WindowAxis, box: Box): number {
  const extent = (dim: string | undefined) => {
    const k = dim ? node.dims.indexOf(dim) : -1;
    return k < 0 ? 1 : box.stop[k] - box.start[k];
  };
  return extent(w.outDim) * extent(w.memberDim);
}

/**
 * Sorted indices as runs [lo, hi), gaps shorter than RUN_GAP bridged while the runs hold at
 * most `budget` indices (a permutation's block may read only its own indices: bridging its
 * gaps would hold more than the plan promised).
 */
export function indexRuns(sorted: readonly number[], budget = Infinity): [number, number][] {
  const runs: [number, number][] = [];
  let slack = budget - sorted.length;
  for (const x of sorted) {
    const last = runs[runs.length - 1];
    const gap = last ? x - last[1] : Infinity;
    if (gap < RUN_GAP && gap <= slack) {
      last[1] = x + 1;
      slack -= gap;
    } else runs.push([x, x + 1]);
  }
  return runs;
}
