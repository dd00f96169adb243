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

/**
 * The labels a labelled coordinate stands for (a season coordinate holds indices into
 * `attrs.labels`, "DJF", "JJA"…), or undefined for a coordinate of plain numbers.
 */
export function coordLabels(c: Coord): string[] | undefined {
  const labels = c.attrs.labels;
  if (c.time || !Array.isArray(labels) || !labels.every((l) => typeof l === "string"))
    return undefined;
  if (!c.values.every((v) => Number.isInteger(v) && v >= 0 && v < labels.length)) return undefined;
  return Array.from(c.values, (v) => labels[v] as string);
}
