import type { WindowAxis, WindowNode } from "../graph.js";

/**
 * Reading a `WindowAxis` (see graph.ts): the window of an output index, the input index of a
 * position, and the input range a range of output indices reads — shared by the evaluator,
 * the planner's box propagation and the kernels, so they agree on what a window is.
 */

/** Positions along the axis: the `index` list's length, or the input dim's length `n`. */
export function positionCount(w: WindowAxis, n: number): number {
  return w.index ? w.index.length : n;
}

/** The window [lo, hi) of output index `j` in positions, not clipped. */
export function rawWindow(w: WindowAxis, j: number): [number, number] {
  if (w.starts && w.stops) return [w.starts[j], w.stops[j]];
  const lo = (w.offset ?? 0) + (w.step ?? 1) * j;
  if (!w.segment) return [lo, lo + (w.size ?? 1)];
  const s = w.segment * Math.floor(j / w.segment);
  return [Math.max(lo, s), Math.min(lo + (w.size ?? 1), s + w.segment)];
}

/** The window [lo, hi) of output index `j`, clipped to the positions there are. */
export function clippedWindow(w: WindowAxis, j: number, n: number): [number, number] {
  const [lo, hi] = rawWindow(w, j);
  const p = positionCount(w, n);
  const a = Math.max(0, lo);
  return [a, Math.max(a, Math.min(p, hi))];
}

/** The positions of member `m` of window `j` (gathers): -1 when the window has no such member. */
export function memberPosition(w: WindowAxis, j: number, m: number, n: number): number {
  const [lo, hi] = rawWindow(w, j);
  const p = lo + m;
  return p < hi && p >= 0 && p < positionCount(w, n) ? p : -1;
}

/** The input index at position `p` (-1: none). */
export function inputIndexAt(w: WindowAxis, p: number): number {
  return w.index ? w.index[p] : p;
}

/** Whether the windows' starts and stops never decrease with j (a sweep can add and drop). */
export function isMonotone(w: WindowAxis, count: number): boolean {
  if (w.index || w.memberDim || !w.outDim) return false;
  if (!(w.starts && w.stops)) return (w.step ?? 1) >= 0;
  for (let j = 1; j < count; j++)
    if (w.starts[j] < w.starts[j - 1] || w.stops[j] < w.stops[j - 1]) return false;
  return true;
}

/**
 * The input range [lo, hi) that output indices [j0, j1) along `outDim` (and members
 * [m0, m1) along `memberDim`) read, clipped to [0, n); [0, 0) when they read nothing.
 */
export function axisInputRange(
  w: WindowAxis,
  n: number,
  j0: number,
  j1: number,
  m0 = 0,
  m1 = Infinity,
): [number, number] {
  if (!w.outDim) return [0, n];
  if (j1 <= j0 || m1 <= m0) return [0, 0];
  const p = positionCount(w, n);
  let lo = Infinity;
  let hi = -Infinity;
  const span = (j: number): [number, number] => {
    const [a, b] = rawWindow(w, j);
    return [
      Math.max(0, w.memberDim ? a + m0 : a),
      Math.min(p, w.memberDim ? Math.min(b, a + m1) : b),
    ];
  };
  if (!(w.starts && w.stops) && !w.index && (w.step ?? 1) >= 0) {
    // regular windows move monotonically: the first and last output index bound the rest
    [lo] = span(j0);
    [, hi] = span(j1 - 1);
  } else
    for (let j = j0; j < j1; j++) {
      const [from, to] = span(j);
      if (to <= from) continue;
      if (!w.index) {
        lo = Math.min(lo, from);
        hi = Math.max(hi, to);
        continue;
      }
      const [a, b] = indexRange(w.index, from, to);
      if (a < lo) lo = a;
      if (b > hi) hi = b;
    }
  if (!(lo < hi)) return [0, 0];
  return [Math.max(0, lo), Math.min(n, hi)];
}

/** Entries of an index list summarised per run (see `indexRange`). */
const INDEX_RUN = 512;

/** Per run of INDEX_RUN entries of an index list, the least and the greatest entry that is not -1. */
const indexRuns = new WeakMap<readonly number[], { min: Float64Array; max: Float64Array }>();

/**
 * The least and one past the greatest entry of `index[from..to)` that is not -1 ([Infinity,
 * -Infinity] when there is none), in time proportional to the run length plus the runs, not
 * to the entries: group windows over long axes are asked for ranges many times while planning.
 */
function indexRange(index: readonly number[], from: number, to: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const scan = (a: number, b: number) => {
    for (let q = a; q < b; q++) {
      const i = index[q];
      if (i < 0) continue;
      if (i < lo) lo = i;
      if (i + 1 > hi) hi = i + 1;
    }
  };
  if (to - from <= 2 * INDEX_RUN) {
    scan(from, to);
    return [lo, hi];
  }
  let runs = indexRuns.get(index);
  if (!runs) {
    const count = Math.ceil(index.length / INDEX_RUN);
    runs = {
      min: new Float64Array(count).fill(Infinity),
      max: new Float64Array(count).fill(-Infinity),
    };
    for (let q = 0; q < index.length; q++) {
      const i = index[q];
      if (i < 0) continue;
      const r = Math.floor(q / INDEX_RUN);
      if (i < runs.min[r]) runs.min[r] = i;
      if (i + 1 > runs.max[r]) runs.max[r] = i + 1;
    }
    indexRuns.set(index, runs);
  }
  const first = Math.ceil(from / INDEX_RUN);
  const last = Math.floor(to / INDEX_RUN);
  scan(from, first * INDEX_RUN);
  scan(last * INDEX_RUN, to);
  for (let r = first; r < last; r++) {
    if (runs.min[r] < lo) lo = runs.min[r];
    if (runs.max[r] > hi) hi = runs.max[r];
  }
  return [lo, hi];
}

/**
 * The output chunk along `dim` of a window node that lines up with its input's chunks:
 * rolling keeps the input's chunk, coarsen by k divides it by k, resampling scales it by the
 * length ratio; group and member dims, and dims a kernel computes whole, are whole (undefined).
 */
export function windowChunk(
  node: WindowNode,
  dim: string,
  inputLength: (inDim: string) => number,
  inputChunk: (inDim: string) => number | undefined,
): number | undefined {
  if ((node.params.wholeDims as string[] | undefined)?.includes(dim)) return undefined;
  const entry = Object.entries(node.windows).find(
    ([, w]) => w.outDim === dim || w.memberDim === dim,
  );
  if (!entry) return node.windows[dim] ? undefined : inputChunk(dim);
  const [inDim, w] = entry;
  if (w.memberDim === dim || w.index) return undefined;
  const c = inputChunk(inDim);
  if (!c) return undefined;
  if (w.starts)
    return Math.max(1, Math.round((c * w.starts.length) / Math.max(1, inputLength(inDim))));
  const step = Math.abs(w.step ?? 1);
  return step === 0 ? undefined : Math.max(1, Math.round(c / step));
}
