import { isFloat } from "../array/dtype.js";
import type { WindowAxis } from "../core/graph.js";
import { InputError } from "../util/errors.js";
import { buildMap, buildView } from "./build.js";
import { sliceCoord, type Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

/**
 * The array moved by `k` positions along each dim of `shifts` (positive: toward higher
 * indices), NaN where nothing moves in, as xarray's `shift`: a gather whose window of j is
 * position j - k (coordinates stay). Integers become float64, as xarray's NaN fill makes them.
 */
export function shift(array: LazyArray, shifts: Record<string, number>): LazyArray {
  const windows: Record<string, WindowAxis> = {};
  for (const [d, k] of Object.entries(shifts)) {
    array.sizeOf(d);
    if (!Number.isSafeInteger(k))
      throw new InputError(`shift: ${k} for "${d}" is not a whole number of positions`);
    if (k !== 0) windows[d] = { outDim: d, offset: -k, step: 1, size: 1 };
  }
  if (Object.keys(windows).length === 0) return array;
  const built = buildWindow(
    "gather",
    [{ built: array.built, windows }],
    [...array.dims],
    [...array.shape],
    isFloat(array.dtype) ? array.dtype : "float64",
    { fn: "shift" },
  );
  return new LazyArray(built, { ...array.coords }, array.attrs, array.name);
}

/** Options of `diff`. */
export interface DiffOptions {
  /** Which coordinate labels the differences keep: the upper (default, as xarray) or lower. */
  label?: "upper" | "lower";
}

/**
 * The `n`-th discrete difference along `dim`, as xarray's `diff`: out[i] = a[i+1] - a[i]
 * (repeated n times), one position shorter each time, labelled by the upper coordinates. The
 * two operands are views of one array by position, so they are subtracted as they are, never
 * aligned by label.
 */
export function diff(array: LazyArray, dim: string, n = 1, options: DiffOptions = {}): LazyArray {
  if (!(Number.isSafeInteger(n) && n >= 0))
    throw new InputError(`diff: order ${n} must be a non-negative integer`);
  const label = options.label ?? "upper";
  if (label !== "upper" && label !== "lower")
    throw new InputError(`diff: label "${String(label)}" must be upper or lower`);
  let a = array;
  for (let order = 0; order < n; order++) {
    const length = Math.max(0, a.sizeOf(dim) - 1);
    const dims = [...a.dims];
    const shape = a.dims.map((d, i) => (d === dim ? length : a.shape[i]));
    const from = (start: number) =>
      buildView(
        a.built,
        dims,
        shape,
        dims.map((d) => ({ inDim: d, start: d === dim ? start : 0, step: 1 })),
        {},
      );
    const built = buildMap("sub", [from(1), from(0)], [a.name, a.name]);
    const coords: Record<string, Coord> = { ...a.coords };
    if (coords[dim]) coords[dim] = sliceCoord(coords[dim], label === "upper" ? 1 : 0, 1, length);
    a = new LazyArray(built, coords, {}, a.name);
  }
  return a;
}
