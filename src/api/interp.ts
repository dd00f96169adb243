import { InputError } from "../util/errors.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { parseDate } from "./selection.js";
import { buildWindow } from "./windows.js";

/** Options of `interp`. */
export interface InterpOptions {
  /** `linear` (default) or `nearest`, as xarray's (scipy's interp1d). */
  method?: "linear" | "nearest";
}

/** Targets along one dim: numbers, or dates for a time coordinate. */
export type InterpTargets = number | string | ArrayLike<number> | readonly (number | string)[];

/** Source positions and fraction per target, with scipy interp1d's rules on the sorted coordinate. */
function weights(x: Float64Array, targets: Float64Array, method: "linear" | "nearest") {
  const order = Array.from(x.keys()).sort((a, b) => x[a] - x[b]);
  const xs = order.map((i) => x[i]);
  const n = xs.length;
  const lo: number[] = [];
  const hi: number[] = [];
  const t: number[] = [];
  // first index whose value is >= v (searchsorted, side left)
  const search = (arr: readonly number[], v: number) => {
    let a = 0;
    let b = arr.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (arr[mid] < v) a = mid + 1;
      else b = mid;
    }
    return a;
  };
  const mids = xs.slice(1).map((v, i) => (v + xs[i]) / 2);
  for (const v of targets) {
    if (!(v >= xs[0] && v <= xs[n - 1])) {
      lo.push(-1);
      hi.push(-1);
      t.push(0);
    } else if (method === "nearest" || n === 1) {
      const i = order[n === 1 ? 0 : search(mids, v)];
      lo.push(i);
      hi.push(i);
      t.push(0);
    } else {
      const k = Math.min(n - 1, Math.max(1, search(xs, v)));
      lo.push(order[k - 1]);
      hi.push(order[k]);
      t.push((v - xs[k - 1]) / (xs[k] - xs[k - 1]));
    }
  }
  return { lo, hi, t };
}

/**
 * Values at new coordinates along 1-D coordinates, as xarray's `interp`: linear (or nearest)
 * along each dim in turn (separable), coordinates in any order (descending too), NaN outside
 * the coordinate's range. A scalar target drops the dim. Each target reads only its two
 * neighbours, so blocks read just the source range they need.
 *
 * @example
 * ```ts
 * const profile = z.interp({ latitude: [10, 12.5, 15], longitude: 7.3 });
 * ```
 */
export function interp(
  array: LazyArray,
  targets: Record<string, InterpTargets>,
  options: InterpOptions = {},
): LazyArray {
  const method = options.method ?? "linear";
  if (method !== "linear" && method !== "nearest")
    throw new InputError(`interp: method "${method}" must be linear or nearest`);
  let result = array;
  const scalars: string[] = [];
  for (const [dim, target] of Object.entries(targets)) {
    result.sizeOf(dim);
    const coord = result.coords[dim];
    if (!coord)
      throw new InputError(`interp: dimension "${dim}" has no coordinate to interpolate along`);
    const list =
      typeof target === "number" || typeof target === "string"
        ? [target]
        : Array.from(target as ArrayLike<number | string>);
    if (typeof target === "number" || typeof target === "string") scalars.push(dim);
    const values = Float64Array.from(list, (v) =>
      typeof v === "string" ? dateOf(coord, v, dim) : v,
    );
    const { lo, hi, t } = weights(coord.values, values, method);
    const starts = lo.map((l, j) => (l < 0 ? 0 : Math.min(l, hi[j])));
    const stops = lo.map((l, j) => (l < 0 ? 0 : Math.max(l, hi[j]) + 1));
    const shape = result.dims.map((d, i) => (d === dim ? values.length : result.shape[i]));
    const dtype = result.dtype === "float32" ? "float32" : "float64";
    const built = buildWindow(
      "interp",
      [{ built: result.built, windows: { [dim]: { outDim: dim, starts, stops } } }],
      [...result.dims],
      shape,
      dtype,
      { fn: `interp ${dim}`, lo, hi, t },
    );
    const c: Coord = { ...coord, values };
    result = new LazyArray(built, { ...result.coords, [dim]: c }, result.attrs, result.name);
  }
  return scalars.length ? result.isel(Object.fromEntries(scalars.map((d) => [d, 0]))) : result;
}

function dateOf(coord: Coord, s: string, dim: string): number {
  if (!coord.time)
    throw new InputError(
      `interp: target "${s}" on "${dim}" is a string, but its coordinate is not a time`,
    );
  return parseDate(s, coord);
}
