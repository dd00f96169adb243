import { floatOf, isFloat, type DType } from "../array/dtype.js";
import { nodeId, type Graph, type WindowAxis, type WindowNode } from "../core/graph.js";
import { isWhole, reducer } from "../core/kernels/reductions.js";
import { SEPARABLE, SWEEPABLE } from "../core/kernels/sweep.js";
import { InputError } from "../util/errors.js";
import type { Built, ReduceOptions } from "./build.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";

/** An input of a window node being built: an array's node and the windows it is read through. */
export interface BuildWindowInput {
  built: Built;
  windows: Record<string, WindowAxis>;
}

/** A window node over `inputs` (validated: every input dim is windowed or an output dim). */
export function buildWindow(
  kernel: string,
  inputs: BuildWindowInput[],
  dims: string[],
  shape: number[],
  dtype: DType,
  params: Record<string, unknown>,
): Built {
  for (const { built, windows } of inputs) {
    for (const d of built.node.dims)
      if (!windows[d] && !dims.includes(d))
        throw new InputError(
          `${kernel}: input dimension "${d}" is neither windowed nor an output dimension`,
        );
    for (const [d, w] of Object.entries(windows)) {
      if (!built.node.dims.includes(d))
        throw new InputError(
          `${kernel}: no input dimension "${d}" to window (dimensions: ${built.node.dims.join(", ")})`,
        );
      for (const o of [w.outDim, w.memberDim])
        if (o !== undefined && !dims.includes(o))
          throw new InputError(
            `${kernel}: window of "${d}" names output dimension "${o}", which the output lacks`,
          );
    }
  }
  const [first, ...others] = inputs;
  const spec: Omit<WindowNode, "id"> = {
    op: "window",
    kernel,
    input: first.built.node.id,
    windows: first.windows,
    ...(others.length
      ? { others: others.map((o) => ({ node: o.built.node.id, windows: o.windows })) }
      : {}),
    params,
    dims,
    shape,
    dtype,
  };
  const node = { ...spec, id: nodeId(spec) } as WindowNode;
  const graph: Graph = Object.assign({}, ...inputs.map((i) => i.built.graph), { [node.id]: node });
  return { node, graph };
}

/** The reductions every windowed view has (rolling, coarsen, groupby, resample), by name. */
export abstract class WindowedReductions {
  /** The reduction `fn` (sum, mean, min, max, median, std, var, count, prod…) over each window. */
  abstract reduce(fn: string, options?: ReduceOptions): LazyArray;
  sum(options?: ReduceOptions): LazyArray {
    return this.reduce("sum", options);
  }
  mean(options?: ReduceOptions): LazyArray {
    return this.reduce("mean", options);
  }
  min(options?: ReduceOptions): LazyArray {
    return this.reduce("min", options);
  }
  max(options?: ReduceOptions): LazyArray {
    return this.reduce("max", options);
  }
  median(options?: ReduceOptions): LazyArray {
    return this.reduce("median", options);
  }
  /** Standard deviation with `ddof` (default 0, as xarray). */
  std(options?: ReduceOptions): LazyArray {
    return this.reduce("std", options);
  }
  var(options?: ReduceOptions): LazyArray {
    return this.reduce("var", options);
  }
  /** Number of non-NaN values. */
  count(options?: ReduceOptions): LazyArray {
    return this.reduce("count", options);
  }
}

/**
 * A reduction over windows laid along existing dims (rolling, coarsen, resample): a sweep
 * where the windows move monotonically and the reduction allows it (one windowed dim, or a
 * separable reduction over several), the direct kernel otherwise.
 */
export function windowReduction(
  array: LazyArray,
  fn: string,
  windows: Record<string, WindowAxis>,
  shape: number[],
  dtype: DType,
  params: Record<string, unknown>,
  options: ReduceOptions = {},
): Built {
  reducer(fn);
  const dims = Object.keys(windows);
  const sweepable =
    SWEEPABLE.has(fn) && (dims.length === 1 || SEPARABLE.has(fn)) && options.skipna !== false;
  const all = { ...params, fn, ...(options.ddof !== undefined ? { ddof: options.ddof } : {}) };
  if (sweepable)
    return buildWindow(
      "sweep",
      [{ built: array.built, windows }],
      [...array.dims],
      shape,
      dtype,
      all,
    );
  const reducerParams: Record<string, number> = {};
  if (options.ddof !== undefined) reducerParams.ddof = options.ddof;
  if (options.q !== undefined) reducerParams.q = options.q;
  return buildWindow("reduce", [{ built: array.built, windows }], [...array.dims], shape, dtype, {
    ...all,
    skipna: options.skipna ?? true,
    reducerParams,
  });
}

/** Options of `rolling`. */
export interface RollingOptions {
  /** Label each window at its centre instead of its end (default false), for all dims or per dim. */
  center?: boolean | Record<string, boolean>;
  /** Fewer valid values in a window give NaN (default: the window size, as xarray). */
  minPeriods?: number;
}

/**
 * Moving windows along one or more dims (`a.rolling({ time: 7 })`), as xarray's `rolling`:
 * trailing windows (or centred), NaN until `minPeriods` valid values. Reductions never
 * materialise the window dim: O(1) per element for sum/mean/count/std/var, O(1) amortised for
 * min/max, O(log w) search for the median; several dims are swept one after the other where
 * the reduction is separable (sum, mean, count, min, max), directly otherwise.
 *
 * @example
 * ```ts
 * const weekly = t.rolling({ time: 7 }, { center: true }).mean();
 * const filtered = img.rolling({ y: 7, x: 7 }, { center: true }).median();
 * ```
 */
export class Rolling extends WindowedReductions {
  constructor(
    readonly array: LazyArray,
    readonly windows: Readonly<Record<string, number>>,
    readonly options: RollingOptions = {},
  ) {
    super();
    if (Object.keys(windows).length === 0)
      throw new InputError("rolling: give at least one dimension and window size");
    for (const [d, w] of Object.entries(windows)) {
      array.sizeOf(d);
      if (!(Number.isInteger(w) && w >= 1))
        throw new InputError(`rolling: window ${w} for "${d}" must be a positive integer`);
    }
    const mp = options.minPeriods;
    if (mp !== undefined && !(Number.isInteger(mp) && mp >= 1))
      throw new InputError(`rolling: minPeriods ${mp} must be a positive integer`);
  }

  reduce(fn: string, options: ReduceOptions = {}): LazyArray {
    const a = this.array;
    const axes: Record<string, WindowAxis> = {};
    for (const [d, w] of Object.entries(this.windows)) {
      const c = this.options.center;
      const centred = typeof c === "object" ? (c[d] ?? false) : (c ?? false);
      axes[d] = { outDim: d, offset: centred ? -Math.floor(w / 2) : -(w - 1), step: 1, size: w };
    }
    const minCount =
      this.options.minPeriods ?? Object.values(this.windows).reduce((p, w) => p * w, 1);
    const dtype = fn === "count" ? "float64" : floatOf(a.dtype);
    const built = windowReduction(a, fn, axes, [...a.shape], dtype, { minCount }, options);
    return new LazyArray(built, { ...a.coords }, a.attrs, a.name);
  }
}

/** Options of `coarsen`. */
export interface CoarsenOptions {
  /** When a dim's length is not a multiple of its window: error (`exact`, default), drop the rest (`trim`), or keep a short last window (`pad`). */
  boundary?: "exact" | "trim" | "pad";
}

/**
 * Blocks of k along dims (`a.coarsen({ lat: 2, lon: 2 }).mean()`), as xarray's `coarsen`;
 * coordinates become the mean of each block's coordinates.
 */
export class Coarsen extends WindowedReductions {
  constructor(
    readonly array: LazyArray,
    readonly windows: Readonly<Record<string, number>>,
    readonly options: CoarsenOptions = {},
  ) {
    super();
    const boundary = options.boundary ?? "exact";
    if (!["exact", "trim", "pad"].includes(boundary))
      throw new InputError(`coarsen: boundary "${boundary}" must be exact, trim or pad`);
    if (Object.keys(windows).length === 0)
      throw new InputError("coarsen: give at least one dimension and window size");
    for (const [d, k] of Object.entries(windows)) {
      const n = array.sizeOf(d);
      if (!(Number.isInteger(k) && k >= 1))
        throw new InputError(`coarsen: window ${k} for "${d}" must be a positive integer`);
      if (boundary === "exact" && n % k !== 0)
        throw new InputError(
          `coarsen: dimension "${d}" of size ${n} is not a multiple of the window ${k}; use boundary "trim" or "pad"`,
        );
    }
  }

  private lengthOf(d: string): number {
    const n = this.array.sizeOf(d);
    const k = this.windows[d];
    return this.options.boundary === "pad" ? Math.ceil(n / k) : Math.floor(n / k);
  }

  reduce(fn: string, options: ReduceOptions = {}): LazyArray {
    const a = this.array;
    const axes: Record<string, WindowAxis> = {};
    for (const [d, k] of Object.entries(this.windows))
      axes[d] = { outDim: d, offset: 0, step: k, size: k };
    const shape = a.dims.map((d, i) => (this.windows[d] ? this.lengthOf(d) : a.shape[i]));
    // a padded block is NaN-filled, as xarray pads: integers become floats
    const padded =
      Object.entries(this.windows).some(([d, k]) => a.sizeOf(d) % k !== 0) &&
      this.options.boundary === "pad";
    const r = reducer(fn);
    let dtype = isWhole(r)
      ? r.dtype(a.dtype)
      : r.dtype(padded && !isFloat(a.dtype) ? "float64" : a.dtype);
    if (fn === "count") dtype = "int64";
    const built = windowReduction(a, fn, axes, shape, dtype, {}, options);
    const coords: Record<string, Coord> = { ...a.coords };
    for (const [d, k] of Object.entries(this.windows))
      if (coords[d]) coords[d] = coarsenCoord(coords[d], k, this.lengthOf(d));
    return new LazyArray(built, coords, a.attrs, a.name);
  }
}

/** The mean of each block of `k` coordinate values (a short last block averages what it has). */
function coarsenCoord(c: Coord, k: number, count: number): Coord {
  const values = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    let s = 0;
    let n = 0;
    for (let i = j * k; i < Math.min(c.values.length, j * k + k); i++) {
      s += c.values[i];
      n++;
    }
    values[j] = s / n;
  }
  return { ...c, values };
}
