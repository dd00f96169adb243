import { InputError } from "../util/errors.js";
import { takeCoord } from "./coords.js";
import type { LazyArray } from "./lazy-array.js";
import { reindex } from "./reindex.js";

/** Shifts by dim for `roll`, and whether the coordinates roll with the data (default false). */
export type RollShifts = { [dim: string]: number | boolean | undefined } & { rollCoords?: boolean };

/**
 * `a` rolled along dims as numpy's and xarray's `roll`: element i comes from (i - k) mod n.
 * The coordinates stay unless `rollCoords` is true (xarray's default). A gather of two runs
 * per dim, no copy.
 *
 * @example
 * ```ts
 * t.roll({ lon: 180, rollCoords: true }); // longitudes 0…360 start at 180
 * ```
 */
export function roll(a: LazyArray, shifts: RollShifts): LazyArray {
  let out = a;
  for (const [dim, k] of Object.entries(shifts)) {
    if (dim === "rollCoords") continue;
    if (typeof k !== "number" || !Number.isInteger(k))
      throw new InputError(`roll: shift ${String(k)} of "${dim}" must be an integer`);
    const n = a.sizeOf(dim);
    const shift = ((k % n) + n) % n;
    if (shift === 0) continue;
    const positions = Int32Array.from({ length: n }, (_, i) => (i - shift + n) % n);
    const coord = out.coords[dim];
    out = reindex(
      out,
      dim,
      positions,
      shifts.rollCoords && coord ? takeCoord(coord, positions) : undefined,
    );
  }
  return out;
}

/**
 * `a` sorted along the dims of the named coordinates by their labels, as xarray's `sortby`:
 * stable, NaN last; descending is the ascending order reversed (as xarray does). A coordinate
 * already in order costs nothing, one in the reverse order is a reversed view.
 *
 * @example
 * ```ts
 * t.sortby("lat"); // latitude south to north, whatever the file had
 * ```
 */
export function sortby(a: LazyArray, keys: string | string[], ascending = true): LazyArray {
  let out = a;
  for (const dim of new Set(Array.isArray(keys) ? keys : [keys])) {
    a.sizeOf(dim);
    const coord = out.coords[dim];
    if (!coord)
      throw new InputError(`sortby: dimension "${dim}" of ${a.name} has no coordinate to sort by`);
    const v = coord.values;
    const order = Array.from(v.keys()).sort((i, j) => compareLabels(v[i], v[j]) || i - j);
    if (!ascending) order.reverse();
    out = reindex(out, dim, order, takeCoord(coord, order));
  }
  return out;
}

/** Ascending, NaN last (numpy's sort order). */
function compareLabels(x: number, y: number): number {
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
  if (Number.isNaN(y)) return -1;
  return x - y;
}
