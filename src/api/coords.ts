import type { Attrs } from "../array/chunked-array.js";
import type { Calendar } from "../dataset/calendar.js";

/**
 * A 1-D coordinate held in memory (index coordinates are small: one value per position
 * along a dim), as xarray holds its indexes. Times are float64 seconds since 1970-01-01
 * counted in `calendar`.
 */
export interface Coord {
  dim: string;
  values: Float64Array;
  attrs: Attrs;
  time?: { calendar: Calendar; units: string };
}

/** The coordinate restricted to positions `start + step * i`, i < count. */
export function sliceCoord(c: Coord, start: number, step: number, count: number): Coord {
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = c.values[start + step * i];
  return { ...c, values };
}

/** The coordinate at `positions` (a reordering: roll, sortby). */
export function takeCoord(c: Coord, positions: ArrayLike<number>): Coord {
  return { ...c, values: Float64Array.from(positions, (p) => c.values[p]) };
}
