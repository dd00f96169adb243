import { InputError } from "../util/errors.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";

/** New labels of a dim: the values, or a function of the current ones (positions if none). */
export type CoordValues = ArrayLike<number> | ((current: Float64Array) => ArrayLike<number>);

/**
 * `a` with new coordinate labels along dims, as xarray's `assign_coords`: the data do not
 * move (reorder with `sortby` after). Labels computed by a function keep the coordinate's
 * calendar (a time shifted stays a time); labels given as values are plain numbers.
 *
 * @example
 * ```ts
 * // longitudes 0…360 to -180…180, then in order, then a region across 0°
 * t.assignCoords({ lon: (lon) => lon.map((x) => ((x + 180) % 360) - 180) })
 *   .sortby("lon")
 *   .sel({ lon: slice(-20, 20) });
 * ```
 */
export function assignCoords(a: LazyArray, coords: Record<string, CoordValues>): LazyArray {
  const next: Record<string, Coord> = { ...a.coords };
  for (const [dim, given] of Object.entries(coords)) {
    const n = a.sizeOf(dim);
    const old = a.coords[dim];
    const values =
      typeof given === "function"
        ? given(old ? Float64Array.from(old.values) : Float64Array.from({ length: n }, (_, i) => i))
        : given;
    if (!values || typeof values.length !== "number")
      throw new InputError(`assignCoords: the labels of "${dim}" must be a list of numbers`);
    if (values.length !== n)
      throw new InputError(
        `assignCoords: ${values.length} labels for dimension "${dim}" of length ${n}`,
      );
    const labels = Float64Array.from(values, (v) => {
      if (typeof v !== "number")
        throw new InputError(
          `assignCoords: label ${JSON.stringify(v)} of "${dim}" is not a number`,
        );
      return v;
    });
    const time = typeof given === "function" && old?.time ? { time: old.time } : {};
    next[dim] = { dim, values: labels, attrs: {}, ...time };
  }
  return new LazyArray(a.built, next, a.attrs, a.name, a.chunkHint);
}
