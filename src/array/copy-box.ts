import type { TypedArray } from "./dtype.js";

/**
 * Copies the box of `extent` at `srcStart` in `src` (a C-order buffer of `srcShape`) to
 * `dstStart` in `dst` (of `dstShape`). Both buffers must be of the same typed-array class.
 * Rows along the last axis are copied with `set`, so the cost is one call per row.
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
    if (row < 16) for (let k = 0; k < row; k++) t[dstOff + k] = s[srcOff + k];
    else dst.set(src.subarray(srcOff, srcOff + row) as never, dstOff);
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
