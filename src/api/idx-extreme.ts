import type { Attrs } from "../array/chunked-array.js";
import { encodeTimeValue, timeCoding } from "../dataset/time-units.js";
import { InputError } from "../util/errors.js";
import type { ReduceOptions } from "./build.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

/**
 * The coordinate label of the minimum (`argmin`) or maximum (`argmax`) along `dim`, as
 * xarray's `idxmin`/`idxmax`: the streamed argmin/argmax reduction, then its index looked up
 * in the coordinate (NaN where the values are all NaN). Time labels come back as numbers in
 * the coordinate's units and calendar, with those attrs, as CF stores times.
 */
export function idxExtreme(
  array: LazyArray,
  fn: "argmin" | "argmax",
  dim: string,
  options: ReduceOptions = {},
): LazyArray {
  const name = fn === "argmin" ? "idxmin" : "idxmax";
  array.sizeOf(dim);
  const coord = array.coords[dim];
  if (!coord)
    throw new InputError(`${name}: dimension "${dim}" of ${array.name} has no coordinate`);
  if (options.skipna === false)
    throw new InputError(`${name}: skipna false is not supported (NaN are skipped)`);
  const index = fn === "argmin" ? array.argmin(dim) : array.argmax(dim);
  const time = coord.time;
  const coding = time && timeCoding(time.units, time.calendar);
  const table = Array.from(coord.values, (v) => (coding ? encodeTimeValue(v, coding) : v));
  const built = buildWindow(
    "lookup",
    [{ built: index.built, windows: {} }],
    [...index.dims],
    [...index.shape],
    "float64",
    { fn: name, table },
  );
  const attrs: Attrs = time ? { units: time.units, calendar: time.calendar } : {};
  return new LazyArray(built, { ...index.coords }, attrs, array.name);
}
