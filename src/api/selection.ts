import { InputError } from "../util/errors.js";
import { encodeTime, formatTime } from "../dataset/calendar.js";
import type { Coord } from "./coords.js";
import { parseDatePeriod, parseDuration, RESOLUTIONS, type DateResolution } from "./date-period.js";
import { LabelIndex } from "./label-index.js";

/** A slice as in Python: `start`/`stop` may be negative or missing; `step` > 0. */
export interface Slice {
  kind: "slice";
  start?: number | string | null;
  stop?: number | string | null;
  step?: number | null;
}

/** Builds a slice, like Python's `slice(start, stop, step)`. */
export function slice(
  start?: number | string | null,
  stop?: number | string | null,
  step?: number | null,
): Slice {
  return { kind: "slice", start, stop, step };
}

export function isSlice(v: unknown): v is Slice {
  return typeof v === "object" && v !== null && (v as Slice).kind === "slice";
}

/**
 * A selection along one dim resolved to positions: a range (start/step/count, the dim kept),
 * one index (the dim dropped), or a list of positions in any order (a gather, the dim kept).
 */
export type Resolved =
  | { kind: "range"; start: number; step: number; count: number }
  | { kind: "index"; index: number }
  | { kind: "positions"; positions: number[] };

/** An `isel` key: an index, a slice, a list of indices (negative from the end) or a boolean mask. */
export type IndexKey = number | Slice | ArrayLike<number | boolean>;

/** A `sel` key: a label, a slice of labels (inclusive), or a list of labels. */
export type LabelKey = number | string | Slice | ArrayLike<number | string>;

/** Options of `isel` and `sel`. */
export interface SelectOptions {
  /** Allow a selection that leaves a dimension empty (by default an error, as it is rarely meant). */
  allowEmpty?: boolean;
}

/** Options of `sel`. */
export interface SelOptions extends SelectOptions {
  /**
   * Without it a label must be present. `nearest` picks the closest label (ties: the larger,
   * as pandas); `pad`/`ffill` the one at or before it in the coordinate's order,
   * `backfill`/`bfill` the one at or after it.
   */
  method?: "nearest" | "pad" | "ffill" | "backfill" | "bfill";
  /** The farthest a label may be from the one asked for with `method` (a duration like "1D" on times). */
  tolerance?: number | string;
}

/** A key as people wrote it, for messages (never a dump of a large object). */
export function describeKey(key: unknown): string {
  if (isSlice(key))
    return `slice(${[key.start, key.stop, key.step]
      .slice(0, key.step === undefined || key.step === null ? 2 : 3)
      .map((v) => (v === undefined || v === null ? "None" : JSON.stringify(v)))
      .join(", ")})`;
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "number" || typeof key === "boolean") return String(key);
  if (isList(key)) {
    const items = Array.from(key as ArrayLike<unknown>);
    const shown = items.slice(0, 5).map(describeKey).join(", ");
    return `[${shown}${items.length > 5 ? `, … (${items.length})` : ""}]`;
  }
  return `a ${(key as object)?.constructor?.name ?? typeof key}`;
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function emptyError(op: string, dim: string, key: unknown, range: string): InputError {
  return new InputError(
    `${op}: ${describeKey(key)} leaves dimension "${dim}" empty (${range}); pass allowEmpty to allow it`,
  );
}

/** Resolves an `isel` key for a dim of `length`. */
export function resolveIndex(
  dim: string,
  length: number,
  key: IndexKey,
  options: SelectOptions = {},
): Resolved {
  const range = `its indices run 0…${length - 1}`;
  if (typeof key === "number") return { kind: "index", index: position(dim, length, key) };
  if (isList(key)) {
    const items = Array.from(key);
    let positions: number[];
    if (items.length > 0 && items.every((v) => typeof v === "boolean")) {
      if (items.length !== length)
        throw new InputError(
          `isel: a boolean mask of length ${items.length} on dimension "${dim}" of length ${length}`,
        );
      positions = items.flatMap((v, i) => (v ? [i] : []));
    } else positions = items.map((v) => position(dim, length, v));
    if (positions.length === 0 && !options.allowEmpty) throw emptyError("isel", dim, key, range);
    return { kind: "positions", positions };
  }
  if (!isSlice(key))
    throw new InputError(
      `isel: key on dimension "${dim}" must be an integer, a slice, a list of integers or a boolean mask, got ${describeKey(key)}`,
    );
  const step = key.step ?? 1;
  if (!Number.isInteger(step) || step === 0)
    throw new InputError(`isel: step ${step} on dimension "${dim}" must be a non-zero integer`);
  for (const v of [key.start, key.stop])
    if (v !== undefined && v !== null && typeof v !== "number")
      throw new InputError(
        `isel: slice bounds on dimension "${dim}" must be integers (use sel for labels)`,
      );
  const norm = (v: number | undefined | null, dflt: number) => {
    if (v === undefined || v === null) return dflt;
    const w = v < 0 ? v + length : v;
    return step > 0 ? Math.min(Math.max(w, 0), length) : Math.min(Math.max(w, -1), length - 1);
  };
  const start = norm(key.start as number, step > 0 ? 0 : length - 1);
  const stop = norm(key.stop as number, step > 0 ? length : -1);
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count === 0 && length > 0 && !options.allowEmpty) throw emptyError("isel", dim, key, range);
  return { kind: "range", start, step, count };
}

/** An index as numpy reads it (negative from the end), checked. */
function position(dim: string, length: number, key: unknown): number {
  if (typeof key !== "number" || !Number.isInteger(key))
    throw new InputError(`isel: index ${describeKey(key)} on dimension "${dim}" is not an integer`);
  const i = key < 0 ? key + length : key;
  if (i < 0 || i >= length)
    throw new InputError(
      `isel: index ${key} is out of range for dimension "${dim}" of length ${length}`,
    );
  return i;
}

/** The range of a coordinate's labels, for messages. */
function labelRange(coord: Coord): string {
  const v = coord.values;
  if (v.length === 0) return "it has no labels";
  const show = (x: number) => (coord.time ? formatTime(x, coord.time.calendar) : String(x));
  return `its labels run ${show(v[0])} … ${show(v[v.length - 1])}`;
}

/**
 * Whether xarray holds this time coordinate as numpy datetime64 (standard and proleptic
 * Gregorian calendars within datetime64[ns]'s years) rather than as cftime dates: it decides
 * whether a full date picks one label (pandas) or the period's labels (cftime).
 */
function heldAsDatetime64(coord: Coord): boolean {
  const time = coord.time!;
  if (time.calendar !== "standard" && time.calendar !== "proleptic_gregorian") return false;
  const [lo, hi] = DATETIME64_SPAN;
  return coord.values.every((v) => v !== v || (v >= lo && v < hi));
}

/** The whole years datetime64[ns] holds (1678–2261), in seconds since 1970. */
const DATETIME64_SPAN = [1678, 2262].map((year) =>
  encodeTime({ year, month: 1, day: 1 }, "proleptic_gregorian"),
);

/** pandas' resolution of a datetime index: the finest field any value sets (a day at the least). */
function indexResolution(values: Float64Array): DateResolution {
  let finest = RESOLUTIONS.indexOf("day");
  for (const v of values) {
    if (v !== v) continue;
    const r = v % 60 !== 0 ? 5 : v % 3600 !== 0 ? 4 : v % 86400 !== 0 ? 3 : 2;
    if (r > finest) finest = r;
  }
  return RESOLUTIONS[finest];
}

/** A slice bound as an interval of label values: a number is itself; a date the period it names. */
interface Bound {
  lo: number;
  hi: number;
  hiInclusive: boolean;
}

/**
 * Resolves a `sel` key to positions, as xarray: a label drops the dim; a slice of labels keeps
 * it (inclusive at both ends, in the coordinate's order, so `slice(60, 30)` on a latitude
 * running 90 → -90); a list of labels gathers them. On a time coordinate a partial date names
 * its whole period: `"2003"` the year, `slice("2002-03", "2002-05")` March to the end of May,
 * in the coordinate's calendar.
 */
export function resolveLabel(
  coord: Coord | undefined,
  dim: string,
  key: LabelKey,
  options: SelOptions = {},
): Resolved {
  if (!coord)
    throw new InputError(
      `sel: dimension "${dim}" has no coordinate; use isel to select by position`,
    );
  const index = new LabelIndex(coord.values);
  const tolerance = toleranceOf(coord, options);
  const pick = (label: number | string) => {
    const x = labelValue(coord, label);
    const i = index.find(x, options.method, tolerance);
    if (i < 0) {
      const how = options.method
        ? ` within ${options.tolerance ?? "any distance"} (method "${options.method}")`
        : ' (use method "nearest" for the closest one)';
      throw new InputError(
        `sel: no label ${describeKey(label)} on dimension "${dim}"${how}; ${labelRange(coord)}`,
      );
    }
    return i;
  };
  if (isSlice(key)) {
    const step = key.step ?? 1;
    if (!(Number.isInteger(step) && step > 0))
      throw new InputError(`sel: step ${step} on dimension "${dim}" must be a positive integer`);
    const bound = (v: number | string | null | undefined): Bound | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v === "string" && coord.time) {
        const p = parseDatePeriod(v, coord.time.calendar, dim);
        return { lo: p.start, hi: p.stop, hiInclusive: false };
      }
      const x = labelValue(coord, v);
      return { lo: x, hi: x, hiInclusive: true };
    };
    const [first, last] = index.span(bound(key.start), bound(key.stop), dim);
    const count = Math.max(0, Math.ceil((last - first + 1) / step));
    if (count === 0 && !options.allowEmpty) throw emptyError("sel", dim, key, labelRange(coord));
    return { kind: "range", start: first, step, count };
  }
  if (isList(key)) {
    const positions = Array.from(key as ArrayLike<number | string>, pick);
    if (positions.length === 0 && !options.allowEmpty)
      throw emptyError("sel", dim, key, labelRange(coord));
    return { kind: "positions", positions };
  }
  if (typeof key === "string" && coord.time && !options.method) {
    // pandas: a date as fine as the index's resolution is one label; a coarser one, its period.
    // cftime indexes (xarray's other calendars) always take the period.
    const period = parseDatePeriod(key, coord.time.calendar, dim);
    const oneLabel =
      heldAsDatetime64(coord) &&
      RESOLUTIONS.indexOf(period.resolution) >= RESOLUTIONS.indexOf(indexResolution(coord.values));
    if (oneLabel) return { kind: "index", index: pick(key) };
    const positions = index.within(period.start, period.stop);
    if (positions.length === 0 && !options.allowEmpty)
      throw emptyError("sel", dim, key, labelRange(coord));
    return { kind: "positions", positions };
  }
  if (typeof key !== "number" && typeof key !== "string")
    throw new InputError(
      `sel: key on dimension "${dim}" must be a label, a slice of labels or a list of labels, got ${describeKey(key)}`,
    );
  return { kind: "index", index: pick(key) };
}

/** A label as a number: times given as ISO strings are encoded in the coordinate's calendar. */
function labelValue(coord: Coord, label: number | string): number {
  if (typeof label === "number") return label;
  // a labelled coordinate (seasons) holds each label's index
  const labels = coord.attrs.labels;
  if (typeof label === "string" && Array.isArray(labels) && !coord.time) {
    const at = labels.indexOf(label);
    if (at < 0)
      throw new InputError(
        `sel: "${label}" is not a label of dimension "${coord.dim}" (labels: ${labels.join(", ")})`,
      );
    return at;
  }
  if (typeof label !== "string")
    throw new InputError(
      `sel: label ${describeKey(label)} on dimension "${coord.dim}" is not a number or a string`,
    );
  if (!coord.time)
    throw new InputError(
      `sel: label "${label}" on dimension "${coord.dim}" is a string, but its coordinate is not a time`,
    );
  return parseDate(label, coord);
}

/** The instant a date string starts, in a time coordinate's calendar. */
export function parseDate(s: string, coord: Coord): number {
  return parseDatePeriod(s, coord.time!.calendar, coord.dim).start;
}

function toleranceOf(coord: Coord, options: SelOptions): number {
  const t = options.tolerance;
  if (t === undefined || t === null) return Infinity;
  if (!options.method)
    throw new InputError(`sel: tolerance needs a method ("nearest", "pad" or "backfill")`);
  if (typeof t === "string") {
    if (!coord.time)
      throw new InputError(
        `sel: tolerance "${t}" is a duration, but coordinate "${coord.dim}" is not a time`,
      );
    return parseDuration(t, "sel: tolerance");
  }
  if (coord.time)
    throw new InputError(
      `sel: tolerance on the time coordinate "${coord.dim}" is a duration like "1D" or "6H", got ${t}`,
    );
  if (!(t >= 0)) throw new InputError(`sel: tolerance ${t} must be a number ≥ 0`);
  return t;
}
