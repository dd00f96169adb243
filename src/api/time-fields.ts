import { timeComponents, type TimeComponents } from "../dataset/calendar.js";
import { InputError } from "../util/errors.js";
import type { Coord } from "./coords.js";
import { SEASONS } from "./groupby.js";
import { LazyArray, type ArrayLike } from "./lazy-array.js";
import { fromArray } from "./open-dataset.js";

/**
 * A 1-D coordinate as an array in memory, as xarray's `t.time` or `t.lat`: to compare
 * (`t.lat > 0`), to take time fields of (`t.time.dt.month`), to select with.
 */
export function coordinateArray(array: LazyArray, name: string): LazyArray {
  const coord = array.coords[name];
  if (!coord)
    throw new InputError(
      `${array.name} has no coordinate "${name}" (coordinates: ${Object.keys(array.coords).join(", ") || "none"})`,
    );
  return labelled(coord, coord.values, name, coord.attrs);
}

/** An in-memory array along `coord`'s dim, with `coord` as its coordinate. */
function labelled(
  coord: Coord,
  values: Float64Array | Int32Array,
  name: string,
  attrs: LazyArray["attrs"],
): LazyArray {
  const a = fromArray(values, { shape: [values.length], dims: [coord.dim], name });
  return new LazyArray(a.built, { [coord.dim]: coord }, attrs, name);
}

/**
 * The fields of a time coordinate as arrays, as xarray's `.dt` accessor: `year`, `month`,
 * `day`, `hour`, `minute`, `dayofyear`, `dayofweek` (Monday 0) and `season` (`"DJF"`…, held
 * as its index in xarray's season order, compared with strings), in the coordinate's calendar.
 *
 * @example
 * ```ts
 * const summer = t.sel({ time: t.coord("time").dt.season.eq("JJA") });
 * ```
 */
export class TimeFields {
  readonly #coord: Coord;

  constructor(array: LazyArray) {
    const dim = array.dims[0];
    const coord = array.coords[dim];
    if (array.ndim !== 1 || array.name !== dim || !coord?.time)
      throw new InputError(
        `dt: ${array.name} is not a time coordinate: use it on one, e.g. t.time.dt.month (library: t.coord("time").dt.month)`,
      );
    this.#coord = coord;
  }

  #field(field: keyof TimeComponents): LazyArray {
    const { calendar } = this.#coord.time!;
    const values = Int32Array.from(this.#coord.values, (v) => {
      const c = timeComponents(v, calendar);
      return field === "season" ? SEASONS.indexOf(c.season) : (c[field] as number);
    });
    return labelled(this.#coord, values, field, field === "season" ? { labels: [...SEASONS] } : {});
  }

  get year(): LazyArray {
    return this.#field("year");
  }
  get month(): LazyArray {
    return this.#field("month");
  }
  get day(): LazyArray {
    return this.#field("day");
  }
  get hour(): LazyArray {
    return this.#field("hour");
  }
  get minute(): LazyArray {
    return this.#field("minute");
  }
  get dayofyear(): LazyArray {
    return this.#field("dayofyear");
  }
  get dayofweek(): LazyArray {
    return this.#field("dayofweek");
  }
  /** `"DJF"`, `"MAM"`, `"JJA"` or `"SON"`, held as indices into xarray's order DJF, JJA, MAM, SON. */
  get season(): LazyArray {
    return this.#field("season");
  }
}

/**
 * What a label compares as: a string names one of an array's `labels` (a season), by its
 * index; numbers and arrays are themselves.
 */
export function labelOperand(array: LazyArray, op: string, other: ArrayLike | string): ArrayLike {
  if (typeof other !== "string") return other;
  const labels = array.attrs.labels;
  const at = Array.isArray(labels) ? (labels as unknown[]).indexOf(other) : -1;
  if (at < 0)
    throw new InputError(
      Array.isArray(labels)
        ? `${op}: "${other}" is not a label of ${array.name} (labels: ${labels.join(", ")})`
        : `${op}: ${array.name} holds numbers, not labels to compare with "${other}"`,
    );
  return at;
}
