import type { TypedArray } from "./dtype.js";
import { nativeLoops } from "../util/native-loops.js";

/**
 * Boxes of at least this many elements are copied in C: a `set` of a subarray costs a call
 * per row beyond its memcpy, which adds up over millions of short rows; below it, the call's
 * own cost is not worth saving.
 */
const NATIVE_COPY = 4096;

/**
 * Copies the box of `extent` at `srcStart` in `src` (a C-order buffer of `srcShape`) to
 * `dstStart` in `dst` (of `dstShape`). Both buffers must be of the same typed-array class.
 * Rows along the last axis are copied with `set`, so the cost is one call per row (large boxes:
 * a memcpy per row, in C where `dae-native-kernels` is built).
 */
export function copyBox(
  src: TypedArray,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: TypedArray,
  dstShape: readonly number[],
  dstStart: readonly number[],
  extent: readonly number[],
): void {
  const n = extent.length;
  if (n === 0) {
    (dst as Float64Array)[0] = (src as Float64Array)[0];
    return;
  }
  for (const e of extent) if (e <= 0) return;
  if (
    extent.reduce((p, e) => p * e, 1) >= NATIVE_COPY &&
    nativeLoops()?.copyBox(src, srcShape, srcStart, dst, dstShape, dstStart, extent)
  )
    return;
  const srcStrides = stridesOf(srcShape);
  const dstStrides = stridesOf(dstShape);
  // merge trailing axes that are contiguous in both buffers into one long row
  let rowAxis = n - 1;
  let row = extent[n - 1];
  while (
    rowAxis > 0 &&
    extent[rowAxis] === srcShape[rowAxis] &&
    extent[rowAxis] === dstShape[rowAxis]
  ) {
    rowAxis--;
    row *= extent[rowAxis];
  }
  let srcOff = 0;
  let dstOff = 0;
  for (let d = 0; d < n; d++) {
    srcOff += srcStart[d] * srcStrides[d];
    dstOff += dstStart[d] * dstStrides[d];
  }
  if (rowAxis === 0) {
    dst.set(src.subarray(srcOff, srcOff + row) as never, dstOff);
    return;
  }
  const idx = new Array<number>(rowAxis).fill(0);
  const s = src as Float64Array;
  const t = dst as Float64Array;
  for (;;) {
    copyRow(s, srcOff, t, dstOff, row);
    let d = rowAxis - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      srcOff += srcStrides[d];
      dstOff += dstStrides[d];
      if (idx[d] < extent[d]) break;
      srcOff -= extent[d] * srcStrides[d];
      dstOff -= extent[d] * dstStrides[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * Copies the box of `extent` at `srcStart` in `src` into `parts`: boxes side by side along
 * the last axis, of widths `widths` (summing to the last extent), each a whole C-order buffer
 * of the leading extents × its width. Each row of the box is read once, whole, and split.
 *
 * Why not `copyBox` per part: filling parts one at a time reads each row of `src` in
 * pieces, part after part: the reads stop being sequential and the copy is several times
 * slower. Large boxes are copied in C (a `set` per piece costs a call per row).
 */
export function copyBoxToParts(
  src: TypedArray,
  srcShape: readonly number[],
  srcStart: readonly number[],
  extent: readonly number[],
  parts: readonly TypedArray[],
  widths: readonly number[],
): void {
  const last = extent.length - 1;
  for (const e of extent) if (e <= 0) return;
  if (
    extent.reduce((p, e) => p * e, 1) >= NATIVE_COPY &&
    nativeLoops()?.copyBoxToParts(src, srcShape, srcStart, extent, parts, widths)
  )
    return;
  const strides = stridesOf(srcShape);
  let srcOff = 0;
  for (let d = 0; d <= last; d++) srcOff += srcStart[d] * strides[d];
  const idx = new Array<number>(last).fill(0);
  const s = src as Float64Array;
  for (let row = 0; ; row++) {
    let at = srcOff;
    for (let p = 0; p < parts.length; p++) {
      copyRow(s, at, parts[p] as Float64Array, row * widths[p], widths[p]);
      at += widths[p];
    }
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      srcOff += strides[d];
      if (idx[d] < extent[d]) break;
      srcOff -= extent[d] * strides[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Copies `n` elements; short rows element by element (a `set` costs more than a few stores). */
function copyRow(src: Float64Array, from: number, dst: Float64Array, to: number, n: number): void {
  if (n < 16) for (let k = 0; k < n; k++) dst[to + k] = src[from + k];
  else dst.set(src.subarray(from, from + n), to);
}

/** C-order strides (in elements) of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}
