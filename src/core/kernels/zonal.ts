import { stridesOf } from "../../array/copy-box.js";
import type { NumberArray } from "../../array/dtype.js";
import { boxShape, type Box } from "../box.js";
import { InputError } from "../../util/errors.js";
import { histogramSlab, nextSlab } from "./histogram.js";
import type { WindowBlock, WindowKernelArgs } from "./window-kernels.js";

/** The reductions `zonal` computes. */
export const ZONAL = new Set(["sum", "mean", "count", "min", "max", "std", "var"]);

/** Index of each label among `labels` (labels not listed, and NaN, are in no group). */
function labelIndex(labels: readonly number[]): Map<number, number> {
  return new Map(labels.map((v, g) => [v, g]));
}

/**
 * Calls `visit(e, keptOffset, labelAt)` for each element of the data input's block, read
 * slab by slab over the grouped dims (the histogram's slab rule, which the planner's memory
 * estimate uses): `keptOffset` is the element's place among the kept (not grouped) dims of
 * the block, `labelAt` its place in the label input's slab.
 */
async function forEachGrouped(
  data: WindowBlock,
  labels: WindowBlock,
  read: WindowKernelArgs["read"],
  visit: (value: number, kept: number, label: number) => void,
): Promise<void> {
  const { input, inBox, windows } = data;
  const grouped = input.dims.map((d) => d in windows);
  const extents = histogramSlab(inBox, grouped);
  const shape = boxShape(inBox);
  if (shape.some((n) => n === 0)) return;
  // strides of the kept dims in the output's kept part (C order of the kept dims)
  const keptStrides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (grouped[i]) continue;
    keptStrides[i] = s;
    s *= shape[i];
  }
  const labelDims = labels.input.dims;
  const slab: Box = {
    start: [...inBox.start],
    stop: inBox.start.map((a, i) => Math.min(inBox.stop[i], a + extents[i])),
  };
  for (;;) {
    const slabShape = boxShape(slab);
    const values = await read(input.id, slab);
    const labelBox: Box = {
      start: labelDims.map((d) => slab.start[input.dims.indexOf(d)]),
      stop: labelDims.map((d) => slab.stop[input.dims.indexOf(d)]),
    };
    const labelValues = await read(labels.input.id, labelBox);
    const labelStrides = stridesOf(boxShape(labelBox));
    const labelStride = input.dims.map((d) => {
      const j = labelDims.indexOf(d);
      return j < 0 ? 0 : labelStrides[j];
    });
    const idx = new Array<number>(shape.length).fill(0);
    for (let e = 0; e < values.length; e++) {
      let kept = 0;
      let at = 0;
      for (let i = 0; i < idx.length; i++) {
        kept += (idx[i] + slab.start[i] - inBox.start[i]) * keptStrides[i];
        at += idx[i] * labelStride[i];
      }
      visit(values[e], kept, labelValues[at]);
      for (let i = idx.length - 1; i >= 0; i--) {
        if (++idx[i] < slabShape[i]) break;
        idx[i] = 0;
      }
    }
    if (!nextSlab(slab, inBox, extents, grouped)) return;
  }
}

/**
 * The `zonal` window kernel (streaming): reductions of its first input grouped by the values
 * of its second (an integer label map over some of the first's dims: basins, countries,
 * classes), as xarray's `groupby(labels_array)`. The grouped dims are windows without
 * `outDim`; the output has the kept dims, then the group dim last (one group per entry of
 * `labels`, sorted). NaN values are skipped; elements whose label is not listed are in no
 * group. Params: `fn` (sum, mean, count, min, max, std, var), `labels`, `ddof`.
 */
export async function zonal({ node, box, out, inputs, read }: WindowKernelArgs): Promise<void> {
  const [data, labelBlock] = inputs;
  const fn = String(node.params.fn);
  if (!ZONAL.has(fn)) throw new InputError(`zonal: cannot compute "${fn}" per group`);
  const ddof = Number(node.params.ddof ?? 0);
  const index = labelIndex(node.params.labels as number[]);
  const last = node.dims.length - 1;
  const [g0, g1] = [box.start[last], box.stop[last]];
  const G = g1 - g0;
  const n = new Float64Array(out.length);
  const acc = new Float64Array(out.length).fill(
    fn === "min" ? Infinity : fn === "max" ? -Infinity : 0,
  );
  const m2 = fn === "std" || fn === "var" ? new Float64Array(out.length) : undefined;
  await forEachGrouped(data, labelBlock, read, (v, k, label) => {
    const g = index.get(label);
    if (g === undefined || g < g0 || g >= g1 || v !== v) return;
    const s = k * G + g - g0;
    const count = ++n[s];
    if (fn === "min") acc[s] = Math.min(acc[s], v);
    else if (fn === "max") acc[s] = Math.max(acc[s], v);
    else if (m2) {
      // Welford: the mean in acc, squared deviations in m2
      const d = v - acc[s];
      acc[s] += d / count;
      m2[s] += d * (v - acc[s]);
    } else acc[s] += v;
  });
  for (let s = 0; s < out.length; s++) out[s] = finish(fn, acc[s], n[s], m2?.[s] ?? 0, ddof);
}

function finish(fn: string, acc: number, n: number, m2: number, ddof: number): number {
  switch (fn) {
    case "sum":
      return acc;
    case "count":
      return n;
    case "mean":
      return n > 0 ? acc / n : NaN;
    case "var":
    case "std": {
      const variance = n - ddof > 0 ? m2 / (n - ddof) : NaN;
      return fn === "std" ? Math.sqrt(variance) : variance;
    }
    default:
      return n > 0 ? acc : NaN;
  }
}

/**
 * The `zonal-broadcast` window kernel: a per-group result (its first input, group dim last,
 * read whole along it) spread back over the label map (its second input): each output
 * element takes its label's group value, NaN where its label is in no group.
 */
export function zonalBroadcast({ node, out, inputs }: WindowKernelArgs): void {
  const [result, labelBlock] = inputs;
  const index = labelIndex(node.params.labels as number[]);
  const groupDim = String(node.params.groupDim);
  const rShape = boxShape(result.inBox);
  const G = rShape[result.input.dims.indexOf(groupDim)];
  const dims = node.dims;
  const shape = dims.map((d) => {
    const i = result.input.dims.indexOf(d);
    if (i >= 0) return rShape[i];
    return boxShape(labelBlock.inBox)[labelBlock.input.dims.indexOf(d)];
  });
  const rStrides = stridesOf(rShape);
  const lStrides = stridesOf(boxShape(labelBlock.inBox));
  const rStride = dims.map((d) => {
    const i = result.input.dims.indexOf(d);
    return i < 0 ? 0 : rStrides[i];
  });
  const lStride = dims.map((d) => {
    const i = labelBlock.input.dims.indexOf(d);
    return i < 0 ? 0 : lStrides[i];
  });
  const gStride = rStrides[result.input.dims.indexOf(groupDim)];
  const idx = new Array<number>(dims.length).fill(0);
  const r: NumberArray = result.data;
  for (let e = 0; e < out.length; e++) {
    let ro = 0;
    let lo = 0;
    for (let i = 0; i < dims.length; i++) {
      ro += idx[i] * rStride[i];
      lo += idx[i] * lStride[i];
    }
    const g = index.get(labelBlock.data[lo]);
    out[e] = g === undefined || g >= G ? NaN : r[ro + g * gStride];
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
}
