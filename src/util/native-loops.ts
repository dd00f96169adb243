import { optionalAddon } from "./optional-addon.js";

/**
 * The hottest loops in C (the optional `dae-native-kernels`, `native/kernels`, built by
 * `npm ci` with node-gyp; these are its types). Each returns false, having done nothing, for
 * arrays it does not take (anything but Float32Array and Float64Array data), and the caller
 * runs its TypeScript loop instead; each throws a RangeError for arrays shorter than the
 * shapes it is given, rather than read or write past them. Both give the same results to the
 * bit: the C loops do each value's operations in the same order.
 *
 * Why C: V8 runs these loops several times slower than C (bounds checks, no SIMD), and they
 * are where the benchmark workloads spend much of their CPU.
 */
export interface NativeLoops {
  /** As `sumCount`'s `foldPlanes` (reductions.ts). */
  foldSumPlanes(
    sum: Float64Array,
    count: Float64Array,
    data: ArrayBufferView,
    planes: number,
    skipna: boolean,
  ): boolean;
  /**
   * As sweep.ts `sumRows`: `val` is [outer, length, inner], windows `[los[j], his[j])` along its
   * middle dim, `out` [outer, los.length, inner]; `mode` 0 mean, 1 sum, 2 count.
   */
  sumRows(
    val: ArrayBufferView,
    outer: number,
    length: number,
    inner: number,
    los: Int32Array,
    his: Int32Array,
    out: ArrayBufferView,
    mode: number,
    atLeast: number,
    emptyIsNaN: boolean,
  ): boolean;
  /** `out[i] = a[i] op b[i]` (op 0 add, 1 sub, 2 mul, 3 div) as elementwise.ts `Loops`; a or b may be a number. */
  arithmetic(
    op: number,
    out: ArrayBufferView,
    a: ArrayBufferView | number,
    b: ArrayBufferView | number,
  ): boolean;
  /** As copy-box.ts `copyBox`, a memcpy per row (false: shapes it does not take). */
  copyBox(
    src: ArrayBufferView,
    srcShape: readonly number[],
    srcStart: readonly number[],
    dst: ArrayBufferView,
    dstShape: readonly number[],
    dstStart: readonly number[],
    extent: readonly number[],
  ): boolean;
  /** As copy-box.ts `copyBoxToParts`, a memcpy per row of each part (false: shapes it does not take). */
  copyBoxToParts(
    src: ArrayBufferView,
    srcShape: readonly number[],
    srcStart: readonly number[],
    extent: readonly number[],
    parts: readonly ArrayBufferView[],
    widths: readonly number[],
  ): boolean;
  /** Inflates the zlib stream `src` into `dst` and returns the bytes written; throws for damaged data or more than `dst` holds. */
  inflateInto(src: Uint8Array, dst: Uint8Array): number;
  /** Undoes HDF5's shuffle filter: byte k of element i is at `src[k * n + i]`. */
  unshuffle(src: Uint8Array, dst: Uint8Array, elementSize: number): boolean;
}

// not built here: the TypeScript loops, slower, same results
const built = optionalAddon<NativeLoops>("dae-native-kernels", "DAE_NATIVE_KERNELS");
let enabled = true;

/** The C loops, where built and not switched off (`DAE_NATIVE_KERNELS=0`, `useNativeLoops(false)`). */
export function nativeLoops(): NativeLoops | undefined {
  return enabled ? built : undefined;
}

/**
 * Switches the C loops on or off in this thread (tests compare both ways).
 * @returns whether they are built here
 */
export function useNativeLoops(on: boolean): boolean {
  enabled = on;
  return built !== undefined;
}
