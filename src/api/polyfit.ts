import { InputError } from "../util/errors.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

/** The name of the degree dim of `polyfit`'s result, as xarray's. */
const DEGREE = "degree";

/**
 * A coordinate's values as numbers for fitting, as xarray's: times as float nanoseconds since
 * 1970-01-01 (counted in their calendar), positions 0…n-1 where the dim has no coordinate.
 */
function fitValues(coord: Coord | undefined, n: number): number[] {
  if (!coord) return Array.from({ length: n }, (_, i) => i);
  return Array.from(coord.values, (v) => (coord.time ? v * 1e9 : v));
}

/**
 * Least-squares polynomial coefficients of degree `deg` along `dim`, per series, NaN skipped,
 * as xarray's `polyfit(dim, deg)["polyfit_coefficients"]`: a `degree` dim first, highest
 * degree first, in place of `dim`. One streaming pass (kernels/polyfit.ts): memory per block
 * is a slab of the axis and the normal equations' sums, whatever the axis length.
 *
 * @example
 * ```ts
 * const trend = t.polyfit("time", 1).sel({ degree: 1 }); // per nanosecond, as xarray
 * ```
 */
export function polyfit(array: LazyArray, dim: string, deg: number): LazyArray {
  const n = array.sizeOf(dim);
  if (!(Number.isSafeInteger(deg) && deg >= 0 && deg <= 16))
    throw new InputError(`polyfit: degree ${deg} must be an integer from 0 to 16`);
  const x = fitValues(array.coords[dim], n);
  const finite = x.filter((v) => Number.isFinite(v));
  const center = finite.reduce((s, v) => s + v, 0) / Math.max(1, finite.length);
  const scale = Math.max(0, ...finite.map((v) => Math.abs(v - center))) || 1;
  const rest = array.dims.filter((d) => d !== dim);
  const built = buildWindow(
    "polyfit",
    [{ built: array.built, windows: { [dim]: {} } }],
    [DEGREE, ...rest],
    [deg + 1, ...rest.map((d) => array.sizeOf(d))],
    "float64",
    { fn: "polyfit", deg, x, center, scale },
  );
  const coords: Record<string, Coord> = { ...array.coords };
  delete coords[dim];
  coords[DEGREE] = {
    dim: DEGREE,
    values: Float64Array.from({ length: deg + 1 }, (_, i) => deg - i),
    attrs: {},
  };
  return new LazyArray(built, coords, {}, "polyfit_coefficients");
}

/**
 * The polynomial with coefficients `coeffs` (a `degree` dim with its coordinate, as
 * `polyfit` gives) evaluated at the values of `coord`, as `xr.polyval(coord, coeffs)`:
 * Horner's rule in elementwise operations; the result has coord's dims, then the
 * coefficients' others.
 */
export function polyval(coord: LazyArray, coeffs: LazyArray): LazyArray {
  const degrees = coeffs.coords[DEGREE]?.values;
  if (!degrees)
    throw new InputError(`polyval: the coefficients need a "${DEGREE}" dim with its coordinate`);
  const positions = new Map(Array.from(degrees, (d, p) => [d, p]));
  const top = Math.max(...degrees);
  if (!degrees.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new InputError(
      `polyval: degrees must be non-negative integers, got ${degrees.join(", ")}`,
    );
  const term = (k: number) => coeffs.isel({ [DEGREE]: positions.get(k)! });
  let result = term(top);
  for (let k = top - 1; k >= 0; k--) {
    result = result.mul(coord);
    if (positions.has(k)) result = result.add(term(k));
  }
  if (top === 0) result = result.add(coord.mul(0));
  return result.transpose(...coord.dims).rename(coeffs.name);
}
