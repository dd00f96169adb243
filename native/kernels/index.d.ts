/** Float arrays the loops take; any other kind makes them return false. */
type FloatArray = Float32Array | Float64Array;

/**
 * Folds `planes` planes of `data` (each `sum.length` long, C order) into the sums and valid
 * counts, plane after plane for each element (NaNs skipped when `skipna`).
 * @returns false (nothing done) where `data` is not a float array
 */
export function foldSumPlanes(sum: Float64Array, count: Float64Array, data: FloatArray | ArrayBufferView, planes: number, skipna: boolean): boolean;

/**
 * The rolling sum/mean/count of `val` ([outer, length, inner], C order) along its middle dim,
 * windows `[los[j], his[j])`, into `out` ([outer, los.length, inner]); `mode` 0 mean, 1 sum,
 * 2 count; fewer than `atLeast` valid values give NaN, so does an empty window when `emptyIsNaN`.
 * @returns false (nothing done) where `val` or `out` is not a float array
 */
export function sumRows(
  val: FloatArray | ArrayBufferView,
  outer: number,
  length: number,
  inner: number,
  los: Int32Array,
  his: Int32Array,
  out: FloatArray | ArrayBufferView,
  mode: number,
  atLeast: number,
  emptyIsNaN: boolean,
): boolean;

/** Undoes HDF5's shuffle filter: byte k of element i is at `src[k * n + i]`. Always true. */
export function unshuffle(src: Uint8Array, dst: Uint8Array, elementSize: number): boolean;

/**
 * `out[i] = a[i] op b[i]` (op 0 add, 1 sub, 2 mul, 3 div), each computed in double and stored
 * in out's type; `a` or `b` may be a number.
 * @returns false (nothing done) where out, a or b is not a float array (of at least out's length) or a number
 */
export function arithmetic(op: number, out: FloatArray | ArrayBufferView, a: FloatArray | ArrayBufferView | number, b: FloatArray | ArrayBufferView | number): boolean;
