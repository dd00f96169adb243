import { floatOf, isFloat, type DType, type NumberArray } from "../../array/dtype.js";
import { InputError } from "../../util/errors.js";
import { nativeLoops } from "../../util/native-loops.js";

/**
 * A reduction as a fold over slabs of its input, so that a long axis streams through a
 * bounded buffer. State is a few Float64Arrays, one value per output element; states of
 * partial tasks over different parts of the axis combine, so one reduction can be split.
 *
 * Slabs come in one of two layouts (the evaluator picks): `planes` [R, nOut] when the
 * reduced dims lead, `runs` [nOut, R] otherwise. `base` is the global index along the
 * reduced dim of the slab's first element (for argmin/argmax).
 */
export interface Reducer {
  slots: number;
  dtype(input: DType): DType;
  init(state: Float64Array[]): void;
  foldPlanes(
    state: Float64Array[],
    data: NumberArray,
    planes: number,
    base: number,
    skipna: boolean,
  ): void;
  foldRuns(
    state: Float64Array[],
    data: NumberArray,
    run: number,
    base: number,
    skipna: boolean,
  ): void;
  combine(into: Float64Array[], from: Float64Array[]): void;
  finalize(state: Float64Array[], out: NumberArray, params: Record<string, number>): void;
  /** Only one reduced dim allowed (argmin/argmax). */
  singleDim?: boolean;
}

/**
 * A reduction that needs all values of the reduced dims at once (median, quantile): the
 * evaluator hands it whole runs [nOut, R].
 */
export interface WholeReducer {
  whole: true;
  dtype(input: DType): DType;
  reduceRuns(
    data: NumberArray,
    run: number,
    out: NumberArray,
    skipna: boolean,
    params: Record<string, number>,
  ): void;
}

const sumType = (t: DType): DType =>
  isFloat(t)
    ? t
    : t === "uint64" || t === "uint32" || t === "uint16" || t === "uint8"
      ? "uint64"
      : "int64";

/**
 * A fold in which each output element is updated by `step(state slots, i, x, index)`.
 * Written once with the two layouts so that every simple reduction is only its `step`.
 */
function fold(
  slots: number,
  dtype: (t: DType) => DType,
  init: number[],
  step: (s: Float64Array[], i: number, x: number, index: number, skipna: boolean) => void,
  combine: (into: Float64Array[], from: Float64Array[], i: number) => void,
  finalize: (s: Float64Array[], i: number, params: Record<string, number>) => number,
  singleDim = false,
): Reducer {
  return {
    slots,
    dtype,
    singleDim,
    init(state) {
      for (let k = 0; k < slots; k++) state[k].fill(init[k]);
    },
    foldPlanes(state, data, planes, base, skipna) {
      const n = state[0].length;
      for (let p = 0; p < planes; p++) {
        const off = p * n;
        for (let i = 0; i < n; i++) step(state, i, data[off + i], base + p, skipna);
      }
    },
    foldRuns(state, data, run, base, skipna) {
      const n = state[0].length;
      for (let i = 0; i < n; i++) {
        const off = i * run;
        for (let j = 0; j < run; j++) step(state, i, data[off + j], base + j, skipna);
      }
    },
    combine(into, from) {
      for (let i = 0; i < into[0].length; i++) combine(into, from, i);
    },
    finalize(state, out, params) {
      for (let i = 0; i < out.length; i++) out[i] = finalize(state, i, params);
    },
  };
}

const isNaN = (x: number) => x !== x;

const sumLike = (neutral: number, op: (a: number, b: number) => number) =>
  fold(
    2,
    sumType,
    [neutral, 0],
    (s, i, x, _j, skipna) => {
      if (skipna && isNaN(x)) return;
      s[0][i] = op(s[0][i], x);
      s[1][i]++;
    },
    (a, b, i) => {
      a[0][i] = op(a[0][i], b[0][i]);
      a[1][i] += b[1][i];
    },
    (s, i, p) => (p.min_count && s[1][i] < p.min_count ? NaN : s[0][i]),
  );

/** Welford's running mean and M2, combined across partial states by Chan's formula. */
const moments = (
  finalize: (n: number, mean: number, m2: number, p: Record<string, number>) => number,
  dtype: (t: DType) => DType,
) =>
  fold(
    3,
    dtype,
    [0, 0, 0],
    (s, i, x, _j, skipna) => {
      if (skipna && isNaN(x)) return;
      const n = ++s[0][i];
      const d = x - s[1][i];
      s[1][i] += d / n;
      s[2][i] += d * (x - s[1][i]);
    },
    (a, b, i) => {
      const na = a[0][i];
      const nb = b[0][i];
      if (nb === 0) return;
      const n = na + nb;
      const d = b[1][i] - a[1][i];
      a[1][i] += (d * nb) / n;
      a[2][i] += b[2][i] + (d * d * na * nb) / n;
      a[0][i] = n;
    },
    (s, i, p) => finalize(s[0][i], s[1][i], s[2][i], p),
  );

const variance = (n: number, _m: number, m2: number, p: Record<string, number>) => {
  const dof = n - (p.ddof ?? 0);
  return dof > 0 ? m2 / dof : NaN;
};

/** min/max (and with `track`, argmin/argmax): NaN skipped, or propagated when !skipna. */
const extreme = (better: (a: number, b: number) => boolean, track: boolean) =>
  fold(
    3,
    track ? () => "int64" : (t) => t,
    [NaN, -1, 0],
    (s, i, x, j, skipna) => {
      if (isNaN(x)) {
        if (!skipna) s[2][i] = 1;
        return;
      }
      if (s[1][i] < 0 || better(x, s[0][i])) {
        s[0][i] = x;
        s[1][i] = j;
      }
    },
    (a, b, i) => {
      if (b[2][i]) a[2][i] = 1;
      if (
        b[1][i] >= 0 &&
        (a[1][i] < 0 || better(b[0][i], a[0][i]) || (b[0][i] === a[0][i] && b[1][i] < a[1][i]))
      ) {
        a[0][i] = b[0][i];
        a[1][i] = b[1][i];
      }
    },
    (s, i) => (track ? (s[2][i] ? -1 : s[1][i]) : s[2][i] || s[1][i] < 0 ? NaN : s[0][i]),
    track,
  );

/**
 * sum and mean: state [sum, count] with direct loops — no call per element, so V8 keeps
 * these tight (they are the hot path of most runs).
 */
function sumCount(
  dtype: (t: DType) => DType,
  finalize: (sum: number, count: number, p: Record<string, number>) => number,
): Reducer {
  return {
    slots: 2,
    dtype,
    init(s) {
      s[0].fill(0);
      s[1].fill(0);
    },
    foldPlanes(s, data, planes, _base, skipna) {
      if (nativeLoops()?.foldSumPlanes(s[0], s[1], data, planes, skipna)) return;
      const sum = s[0];
      const cnt = s[1];
      const n = sum.length;
      let p = 0;
      // four planes per pass: the state is loaded and stored once for four values, which is
      // what the loop's time goes on; the sums' order is unchanged
      for (; p + 4 <= planes; p += 4) {
        const o0 = p * n;
        const o1 = o0 + n;
        const o2 = o1 + n;
        const o3 = o2 + n;
        for (let i = 0; i < n; i++) {
          const a = data[o0 + i];
          const b = data[o1 + i];
          const c = data[o2 + i];
          const d = data[o3 + i];
          let t = sum[i];
          if (skipna) {
            let k = cnt[i];
            if (a === a) {
              t += a;
              k++;
            }
            if (b === b) {
              t += b;
              k++;
            }
            if (c === c) {
              t += c;
              k++;
            }
            if (d === d) {
              t += d;
              k++;
            }
            cnt[i] = k;
          } else {
            t += a;
            t += b;
            t += c;
            t += d;
            cnt[i] += 4;
          }
          sum[i] = t;
        }
      }
      for (; p < planes; p++) {
        const off = p * n;
        for (let i = 0; i < n; i++) {
          const x = data[off + i];
          if (!skipna || x === x) {
            sum[i] += x;
            cnt[i]++;
          }
        }
      }
    },
    foldRuns(s, data, run, _base, skipna) {
      const sum = s[0];
      const cnt = s[1];
      for (let i = 0; i < sum.length; i++) {
        const off = i * run;
        let a = 0;
        let c = 0;
        for (let j = 0; j < run; j++) {
          const x = data[off + j];
          if (!skipna || x === x) {
            a += x;
            c++;
          }
        }
        sum[i] += a;
        cnt[i] += c;
      }
    },
    combine(a, b) {
      for (let i = 0; i < a[0].length; i++) {
        a[0][i] += b[0][i];
        a[1][i] += b[1][i];
      }
    },
    finalize(s, out, p) {
      for (let i = 0; i < out.length; i++) out[i] = finalize(s[0][i], s[1][i], p);
    },
  };
}

/** min/max: state [value (NaN until one is seen), saw a NaN]; direct loops like sumCount. */
function minMax(isMin: boolean): Reducer {
  const fold = (val: Float64Array, nan: Float64Array, i: number, x: number, skipna: boolean) => {
    if (x !== x) {
      if (!skipna) nan[i] = 1;
      return;
    }
    const v = val[i];
    if (v !== v || (isMin ? x < v : x > v)) val[i] = x;
  };
  return {
    slots: 2,
    dtype: (t) => t,
    init(s) {
      s[0].fill(NaN);
      s[1].fill(0);
    },
    foldPlanes(s, data, planes, _base, skipna) {
      const [val, nan] = s;
      const n = val.length;
      for (let p = 0; p < planes; p++) {
        const off = p * n;
        for (let i = 0; i < n; i++) fold(val, nan, i, data[off + i], skipna);
      }
    },
    foldRuns(s, data, run, _base, skipna) {
      const [val, nan] = s;
      for (let i = 0; i < val.length; i++) {
        const off = i * run;
        for (let j = 0; j < run; j++) fold(val, nan, i, data[off + j], skipna);
      }
    },
    combine(a, b) {
      for (let i = 0; i < a[0].length; i++) {
        if (b[1][i]) a[1][i] = 1;
        fold(a[0], a[1], i, b[0][i], true);
      }
    },
    finalize(s, out) {
      for (let i = 0; i < out.length; i++) out[i] = s[1][i] ? NaN : s[0][i];
    },
  };
}

const reducers: Record<string, Reducer | WholeReducer> = {
  sum: sumCount(sumType, (sum, count, p) => (p.min_count && count < p.min_count ? NaN : sum)),
  prod: sumLike(1, (a, b) => a * b),
  count: fold(
    1,
    () => "int64",
    [0],
    (s, i, x) => {
      if (!isNaN(x)) s[0][i]++;
    },
    (a, b, i) => {
      a[0][i] += b[0][i];
    },
    (s, i) => s[0][i],
  ),
  mean: sumCount(floatOf, (sum, count) => (count > 0 ? sum / count : NaN)),
  var: moments(variance, floatOf),
  std: moments((n, m, m2, p) => Math.sqrt(variance(n, m, m2, p)), floatOf),
  min: minMax(true),
  max: minMax(false),
  argmin: extreme((a, b) => a < b, true),
  argmax: extreme((a, b) => a > b, true),
  any: fold(
    1,
    () => "bool",
    [0],
    (s, i, x) => {
      if (x !== 0) s[0][i] = 1; // NaN is true, as numpy's any
    },
    (a, b, i) => {
      a[0][i] = a[0][i] || b[0][i];
    },
    (s, i) => s[0][i],
  ),
  all: fold(
    1,
    () => "bool",
    [1],
    (s, i, x) => {
      if (x === 0) s[0][i] = 0; // NaN is true, as numpy's all
    },
    (a, b, i) => {
      a[0][i] = a[0][i] && b[0][i];
    },
    (s, i) => s[0][i],
  ),
  median: quantileReducer(() => 0.5),
  quantile: quantileReducer((p) => p.q),
  mode: modeReducer(),
};

/**
 * A reduction that needs a run's values all at once: the statistic `statisticFor(params)`
 * makes (checking them) is given the non-NaN values of each run sorted (a copy: O(R log R));
 * a run with none, or with a NaN and !skipna, gives NaN.
 */
function sortedRunsReducer(
  dtype: (input: DType) => DType,
  statisticFor: (params: Record<string, number>) => (sorted: Float64Array) => number,
): WholeReducer {
  return {
    whole: true,
    dtype,
    reduceRuns(data, run, out, skipna, params) {
      const statistic = statisticFor(params);
      const buf = new Float64Array(run);
      for (let i = 0; i < out.length; i++) {
        let n = 0;
        let sawNaN = false;
        for (let j = 0; j < run; j++) {
          const x = data[i * run + j];
          if (isNaN(x)) sawNaN = true;
          else buf[n++] = x;
        }
        out[i] = n === 0 || (sawNaN && !skipna) ? NaN : statistic(buf.subarray(0, n).sort());
      }
    },
  };
}

/**
 * The most frequent non-NaN value of each run (ties: the smallest, as scipy.stats.mode), for
 * categorical data such as basin codes or land cover, where a mean would invent classes.
 */
function modeReducer(): WholeReducer {
  return sortedRunsReducer(
    (t) => t,
    () => (v) => {
      let best = v[0];
      let bestCount = 0;
      for (let a = 0; a < v.length;) {
        let b = a;
        while (b < v.length && v[b] === v[a]) b++;
        if (b - a > bestCount) [best, bestCount] = [v[a], b - a];
        a = b;
      }
      return best;
    },
  );
}

/** Quantiles by numpy's default "linear" method over the non-NaN values of each run. */
function quantileReducer(q: (p: Record<string, number>) => number): WholeReducer {
  return sortedRunsReducer(floatOf, (params) => {
    const qq = q(params);
    if (!(qq >= 0 && qq <= 1)) throw new InputError(`quantile q=${qq} must be between 0 and 1`);
    return (v) => {
      const pos = qq * (v.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, v.length - 1);
      return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    };
  });
}

/** The reduction `name`, or an error listing the known ones. */
export function reducer(name: string): Reducer | WholeReducer {
  const r = reducers[name];
  if (!r)
    throw new InputError(
      `unknown reduction "${name}" (known: ${Object.keys(reducers).join(", ")})`,
    );
  return r;
}

export function isWhole(r: Reducer | WholeReducer): r is WholeReducer {
  return "whole" in r;
}

export const REDUCTION_NAMES = Object.keys(reducers);
