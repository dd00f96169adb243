import { stridesOf } from "../array/copy-box.js";
import type { NumberArray } from "../array/dtype.js";

/**
 * Writes `out[idx] = src[offset + Σ idx[d] * strides[d]]` for every index of `shape`
 * (C order): the one primitive behind broadcasting (stride 0), transposing (permuted
 * strides) and stepped selection (multiplied strides).
 */
export function gather(
  src: NumberArray,
  offset: number,
  strides: readonly number[],
  shape: readonly number[],
  out: NumberArray,
): void {
  const n = shape.length;
  if (out.length === 0) return;
  if (n === 0) {
    out[0] = src[offset];
    return;
  }
  const inner = shape[n - 1];
  const innerStride = strides[n - 1];
  const idx = new Array<number>(n).fill(0);
  let o = 0;
  let s = offset;
  for (;;) {
    if (innerStride === 1) out.set(src.subarray(s, s + inner), o);
    else for (let k = 0, p = s; k < inner; k++, p += innerStride) out[o + k] = src[p];
    o += inner;
    let d = n - 2;
    for (; d >= 0; d--) {
      idx[d]++;
      s += strides[d];
      if (idx[d] < shape[d]) break;
      s -= shape[d] * strides[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * Strides, in `src`'s elements, with which each dim of `outDims` walks a C-order block of
 * `srcDims`/`srcShape`; a dim missing from the source gets stride 0 (it repeats).
 */
export function stridesFor(
  srcDims: readonly string[],
  srcShape: readonly number[],
  outDims: readonly string[],
): number[] {
  const s = stridesOf(srcShape);
  return outDims.map((d) => {
    const k = srcDims.indexOf(d);
    return k < 0 ? 0 : s[k];
  });
}

/** `src` (dims `srcDims`) laid out as `outDims` of `outShape`: reordered and repeated. */
export function broadcastTo(
  src: NumberArray,
  srcDims: readonly string[],
  srcShape: readonly number[],
  outDims: readonly string[],
  outShape: readonly number[],
): NumberArray {
  const same =
    srcDims.length === outDims.length &&
    srcDims.every((d, i) => d === outDims[i] && srcShape[i] === outShape[i]);
  if (same) return src;
  const out = new (src.constructor as new (n: number) => NumberArray)(
    outShape.reduce((a, b) => a * b, 1),
  );
  gather(src, 0, stridesFor(srcDims, srcShape, outDims), outShape, out);
  return out;
}
