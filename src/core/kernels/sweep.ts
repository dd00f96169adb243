import { stridesOf } from "../../array/copy-box.js";
import type { NumberArray } from "../../array/dtype.js";
import { boxShape } from "../box.js";
import { InputError } from "../../util/errors.js";
import { nativeLoops } from "../../util/native-loops.js";
import { clippedWindow } from "./window-axis.js";
import type { WindowKernelArgs } from "./window-kernels.js";

/**
 * Moving-window reductions by sweeping: along a line, windows [lo_j, hi_j) whose ends never
 * move back (rolling, coarsen, resample bins), so each input value is added once and dropped
 * once. Running sums for sum/mean/count, Welford's add/drop for var/std, a monotonic deque
 * for min/max (O(1) amortised per element), a sorted window with binary search for the
 * median (O(log w) search). NaN is skipped; a window with fewer than `minCount` valid
 * values gives NaN.
 *
 * Several windowed dims (an n-D window) are swept one dim after the other, carrying sums
 * (or extremes) and counts: that is exact for the separable reductions only, so var, std and
 * median over several dims are built with the direct `reduce` kernel instead.
 */
/** Lines swept together (read and written row by row). */
const TILE = 64;

export const SEPARABLE = new Set(["sum", "mean", "count", "min", "max"]);
export const SWEEPABLE = new Set([...SEPARABLE, "var", "std", "median"]);

/** One line's windows, in local indices. */
interface Windows {
  los: Int32Array;
  his: Int32Array;
}

/** Sweeps one line: `x` values, `c` valid counts (1/0 for raw data), into `y` and counts `yc`. */
type LineSweep = (
  x: Float64Array,
  c: Float64Array,
  w: Windows,
  y: Float64Array,
  yc: Float64Array,
  ddof: number,
) => void;

const sumLine: LineSweep = (x, c, { los, his }, y, yc) => {
  let s = 0;
  let n = 0;
  let lo = 0;
  let hi = 0;
  for (let j = 0; j < los.length; j++) {
    for (; lo < los[j]; lo++)
      if (lo < hi) {
        if (c[lo] > 0) s -= x[lo];
        n -= c[lo];
      }
    if (hi < lo) hi = lo;
    for (; hi < his[j]; hi++) {
      if (c[hi] > 0) s += x[hi];
      n += c[hi];
    }
    // an emptied window restarts from exact zeros, so rounding does not drift on
    if (n === 0) s = 0;
    y[j] = s;
    yc[j] = n;
  }
};

const extremeLine =
  (better: (a: number, b: number) => boolean): LineSweep =>
  (x, c, { los, his }, y, yc) => {
    const deque = new Int32Array(x.length);
    let head = 0;
    let tail = 0;
    let n = 0;
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < los.length; j++) {
      for (; lo < los[j]; lo++) if (lo < hi) n -= c[lo];
      if (hi < lo) hi = lo;
      while (head < tail && deque[head] < lo) head++;
      for (; hi < his[j]; hi++) {
        n += c[hi];
        const v = x[hi];
        if (v !== v) continue;
        // values the new one beats can never be the extreme again
        while (tail > head && !better(x[deque[tail - 1]], v)) tail--;
        deque[tail++] = hi;
      }
      y[j] = head < tail ? x[deque[head]] : NaN;
      yc[j] = n;
    }
  };

const varianceLine =
  (root: boolean): LineSweep =>
  (x, _c, { los, his }, y, yc, ddof) => {
    let n = 0;
    let mean = 0;
    let m2 = 0;
    let lo = 0;
    let hi = 0;
    const drop = (v: number) => {
      if (v !== v) return;
      if (--n === 0) {
        mean = m2 = 0;
        return;
      }
      const d = v - mean;
      mean -= d / n;
      // one value left has no spread: removal's rounding must not leave a residue (std 1e-8, not 0)
      m2 = n === 1 ? 0 : Math.max(0, m2 - d * (v - mean));
    };
    for (let j = 0; j < los.length; j++) {
      for (; lo < los[j]; lo++) if (lo < hi) drop(x[lo]);
      if (hi < lo) hi = lo;
      for (; hi < his[j]; hi++) {
        const v = x[hi];
        if (v !== v) continue;
        const d = v - mean;
        mean += d / ++n;
        m2 += d * (v - mean);
      }
      const variance = n - ddof > 0 ? m2 / (n - ddof) : NaN;
      y[j] = root ? Math.sqrt(variance) : variance;
      yc[j] = n;
    }
  };

const medianLine: LineSweep = (x, _c, { los, his }, y, yc) => {
  const sorted = new Float64Array(x.length);
  let n = 0;
  let lo = 0;
  let hi = 0;
  // first index whose value is >= v (or > v with `after`)
  const search = (v: number, after: boolean) => {
    let a = 0;
    let b = n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (sorted[mid] < v || (after && sorted[mid] === v)) a = mid + 1;
      else b = mid;
    }
    return a;
  };
  for (let j = 0; j < los.length; j++) {
    for (; lo < los[j]; lo++) {
      const v = x[lo];
      if (lo >= hi || v !== v) continue;
      const at = search(v, false);
      sorted.copyWithin(at, at + 1, n--);
    }
    if (hi < lo) hi = lo;
    for (; hi < his[j]; hi++) {
      const v = x[hi];
      if (v !== v) continue;
      const at = search(v, true);
      sorted.copyWithin(at + 1, at, n++);
      sorted[at] = v;
    }
    y[j] = n === 0 ? NaN : n % 2 ? sorted[(n - 1) >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    yc[j] = n;
  }
};

const LINES: Record<string, LineSweep> = {
  sum: sumLine,
  mean: sumLine,
  count: sumLine,
  min: extremeLine((a, b) => a < b),
  max: extremeLine((a, b) => a > b),
  var: varianceLine(false),
  std: varianceLine(true),
  median: medianLine,
};

/** Reductions `sumRows` sweeps. */
const ROW_SWEPT = new Set(["sum", "mean", "count"]);

/** Columns of the inner dims `sumRows` sweeps together: their sums and counts stay in L1. */
const ROW_TILE = 1024;

const enum RowFn {
  Mean,
  Sum,
  Count,
}

/**
 * The common rolling case — one windowed dim, sum/mean/count — swept a whole row of lines at
 * a time: rows along the windowed dim are added and dropped by contiguous loops over the
 * inner dims, so nothing is transposed or sliced per line. The inner dims go ROW_TILE
 * columns at a time, so the running sums and counts stay in cache; a row leaving the window,
 * a row entering it and the window's value are one pass. The same sums as `sumLine` where
 * windows move one row at a time.
 */
function sumRows(
  val: NumberArray,
  outer: number,
  L: number,
  inner: number,
  win: Windows,
  out: NumberArray,
  fn: string,
  minCount: number,
  emptyIsNaN: boolean,
): void {
  const mode = fn === "mean" ? RowFn.Mean : fn === "sum" ? RowFn.Sum : RowFn.Count;
  const atLeast = Math.max(minCount, mode === RowFn.Mean ? 1 : 0);
  if (
    nativeLoops()?.sumRows(val, outer, L, inner, win.los, win.his, out, mode, atLeast, emptyIsNaN)
  )
    return;
  const count = win.los.length;
  const tile = Math.min(ROW_TILE, inner);
  const s = new Float64Array(tile);
  const n = new Float64Array(tile);
  for (let o = 0; o < outer; o++) {
    const base = o * L * inner;
    for (let q0 = 0; q0 < inner; q0 += tile) {
      const w = Math.min(tile, inner - q0);
      s.fill(0);
      n.fill(0);
      let lo = 0;
      let hi = 0;
      for (let j = 0; j < count; j++) {
        const jl = win.los[j];
        const jh = win.his[j];
        const at = (o * count + j) * inner + q0;
        const empty = emptyIsNaN && jh === jl;
        if (empty) out.fill(NaN, at, at + w);
        // rows leaving the window (those added before) paired with rows entering it; the last pass writes the value
        let drop = lo;
        const dropEnd = Math.max(lo, Math.min(jl, hi));
        let add = Math.max(hi, jl);
        const passes = Math.max(dropEnd - drop, jh - add, 1);
        for (let p = 1; p <= passes; p++, drop++, add++) {
          const rowOut = drop < dropEnd ? base + drop * inner + q0 : -1;
          const rowIn = add < jh ? base + add * inner + q0 : -1;
          stepRows(
            val,
            s,
            n,
            out,
            rowOut,
            rowIn,
            p === passes && !empty ? at : -1,
            w,
            mode,
            atLeast,
          );
        }
        lo = jl;
        hi = Math.max(hi, jh, lo);
      }
    }
  }
}

/**
 * One pass of `sumRows` over `w` columns: drops row `rowOut` and adds row `rowIn` (-1: none),
 * then writes the windows' values at `at` (-1: not yet).
 */
function stepRows(
  val: NumberArray,
  s: Float64Array,
  n: Float64Array,
  out: NumberArray,
  rowOut: number,
  rowIn: number,
  at: number,
  w: number,
  mode: RowFn,
  atLeast: number,
): void {
  const nan = NaN;
  for (let q = 0; q < w; q++) {
    let sq = s[q];
    let nq = n[q];
    if (rowOut >= 0) {
      const v = val[rowOut + q];
      if (v === v) {
        sq -= v;
        nq--;
      }
    }
    if (rowIn >= 0) {
      const v = val[rowIn + q];
      if (v === v) {
        sq += v;
        nq++;
      }
    }
    // an emptied window restarts from exact zeros, so rounding does not drift on
    if (nq === 0) sq = 0;
    s[q] = sq;
    n[q] = nq;
    if (at >= 0)
      out[at + q] =
        nq >= atLeast ? (mode === RowFn.Mean ? sq / nq : mode === RowFn.Sum ? sq : nq) : nan;
  }
}

/** The finished value of a window from its swept value and valid count. */
function finish(fn: string, v: number, n: number, minCount: number): number {
  if (n < minCount) return NaN;
  switch (fn) {
    case "sum":
      return v;
    case "count":
      return n;
    case "mean":
      return n > 0 ? v / n : NaN;
    default:
      return v;
  }
}

/**
 * The `sweep` window kernel. Params: `fn` (sum, mean, count, min, max, var, std, median),
 * `minCount`, `ddof`, `emptyIsNaN` (an empty window gives NaN).
 */
export function sweep({ node, box, out, inputs }: WindowKernelArgs): void {
  const [{ input, inBox, data, windows }] = inputs;
  const fn = String(node.params.fn);
  const line = LINES[fn];
  const swept = input.dims.filter((d) => windows[d]);
  if (!line || (swept.length > 1 && !SEPARABLE.has(fn)))
    throw new InputError(
      `the sweep kernel cannot compute "${fn}" over ${swept.length} windowed dims`,
    );
  const minCount = Number(node.params.minCount ?? 0);
  const ddof = Number(node.params.ddof ?? 0);
  const emptyIsNaN = Boolean(node.params.emptyIsNaN);
  // values and valid counts, swept one windowed dim at a time; only several dims need the
  // intermediate arrays: one dim goes straight from the input block to the output block
  let shape = boxShape(inBox);
  let val: NumberArray = data;
  let cnt: Float64Array | undefined;
  swept.forEach((d, s) => {
    const a = input.dims.indexOf(d);
    const k = node.dims.indexOf(windows[d].outDim!);
    const count = box.stop[k] - box.start[k];
    const win: Windows = { los: new Int32Array(count), his: new Int32Array(count) };
    for (let j = 0; j < count; j++) {
      const [lo, hi] = clippedWindow(windows[d], box.start[k] + j, input.shape[a]);
      win.los[j] = Math.min(shape[a], Math.max(0, lo - inBox.start[a]));
      win.his[j] = Math.max(win.los[j], Math.min(shape[a], hi - inBox.start[a]));
    }
    const last = s === swept.length - 1;
    const next = shape.map((n, i) => (i === a ? count : n));
    const size = next.reduce((p, q) => p * q, 1);
    const nextVal = last ? undefined : new Float64Array(size);
    const nextCnt = last ? undefined : new Float64Array(size);
    const inner = stridesOf(shape)[a];
    const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
    const L = shape[a];
    if (swept.length === 1 && ROW_SWEPT.has(fn))
      return sumRows(val, outer, L, inner, win, out, fn, minCount, emptyIsNaN);
    // lines are handled TILE at a time, read and written row by row: the windowed dim is
    // usually outer (time), and reading one line alone would stride through memory
    const tile = Math.min(TILE, inner);
    const x = new Float64Array(tile * L);
    const c = new Float64Array(tile * L);
    const y = new Float64Array(tile * count);
    const yc = new Float64Array(tile * count);
    for (let o = 0; o < outer; o++)
      for (let i0 = 0; i0 < inner; i0 += tile) {
        const lines = Math.min(tile, inner - i0);
        const base = o * L * inner + i0;
        for (let t = 0; t < L; t++)
          for (let q = 0; q < lines; q++) {
            const v = val[base + t * inner + q];
            x[q * L + t] = v;
            c[q * L + t] = cnt ? cnt[base + t * inner + q] : v === v ? 1 : 0;
          }
        for (let q = 0; q < lines; q++)
          line(
            x.subarray(q * L, q * L + L),
            c.subarray(q * L, q * L + L),
            win,
            y.subarray(q * count, q * count + count),
            yc.subarray(q * count, q * count + count),
            ddof,
          );
        const outBase = o * count * inner + i0;
        for (let t = 0; t < count; t++)
          for (let q = 0; q < lines; q++) {
            const at = outBase + t * inner + q;
            const v = y[q * count + t];
            const n = yc[q * count + t];
            if (nextVal && nextCnt) {
              nextVal[at] = v;
              nextCnt[at] = n;
            } else
              out[at] = emptyIsNaN && win.his[t] === win.los[t] ? NaN : finish(fn, v, n, minCount);
          }
      }
    shape = next;
    if (nextVal) val = nextVal;
    cnt = nextCnt;
  });
}
