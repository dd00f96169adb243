import { InputError } from "../util/errors.js";
import { encodeTime, type Calendar } from "../dataset/calendar.js";
import type { Coord } from "./coords.js";

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

/** A positional selection resolved to start/step/count (a scalar index drops the dim). */
export type Resolved =
  { kind: "range"; start: number; step: number; count: number } | { kind: "index"; index: number };

/** Resolves an `isel` key for a dim of `length`. */
export function resolveIndex(dim: string, length: number, key: number | Slice): Resolved {
  if (typeof key === "number") {
    if (!Number.isInteger(key))
      throw new InputError(`isel: index ${key} on dimension "${dim}" is not an integer`);
    const i = key < 0 ? key + length : key;
    if (i < 0 || i >= length)
      throw new InputError(
        `isel: index ${key} is out of range for dimension "${dim}" of length ${length}`,
      );
    return { kind: "index", index: i };
  }
  if (!isSlice(key))
    throw new InputError(
      `isel: key on dimension "${dim}" must be an integer or a slice, got ${JSON.stringify(key)}`,
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
  return { kind: "range", start, step, count };
}

/** Options of `sel`. */
export interface SelOptions {
  /** `nearest` picks the closest label instead of requiring an exact match. */
  method?: "nearest";
  tolerance?: number;
}

/** A label as a number: times given as ISO strings are encoded in the coordinate's calendar. */
function labelValue(coord: Coord, label: number | string): number {
  if (typeof label === "number") return label;
  if (!coord.time)
    throw new InputError(
      `sel: label "${label}" on dimension "${coord.dim}" is a string, but its coordinate is not a time`,
    );
  return parseDate(label, coord.time.calendar, coord.dim);
}

/** Parses `YYYY[-MM[-DD[THH[:MM[:SS]]]]]` in `calendar` to seconds since 1970-01-01. */
export function parseDate(s: string, calendar: Calendar, dim: string): number {
  const m =
    /^(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d{1,2})(?::(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?)?)?)?)?$/.exec(
      s.trim(),
    );
  if (!m)
    throw new InputError(
      `sel: "${s}" on dimension "${dim}" is not a date like 2000-01-31 or 2000-01-31T12:00`,
    );
  return encodeTime(
    {
      year: Number(m[1]),
      month: Number(m[2] ?? 1),
      day: Number(m[3] ?? 1),
      hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0),
      second: Number(m[6] ?? 0),
    },
    calendar,
  );
}

/** Resolves a `sel` key (a label, or a slice of labels, inclusive like pandas) to positions. */
export function resolveLabel(
  coord: Coord | undefined,
  dim: string,
  key: number | string | Slice,
  options: SelOptions = {},
): Resolved {
  if (!coord)
    throw new InputError(
      `sel: dimension "${dim}" has no coordinate; use isel to select by position`,
    );
  const v = coord.values;
  if (!isSlice(key)) {
    const x = labelValue(coord, key);
    let best = -1;
    let dist = Infinity;
    for (let i = 0; i < v.length; i++) {
      const d = Math.abs(v[i] - x);
      if (d < dist) {
        dist = d;
        best = i;
      }
    }
    const ok =
      options.method === "nearest"
        ? best >= 0 && !(dist > (options.tolerance ?? Infinity))
        : dist === 0;
    if (!ok)
      throw new InputError(
        `sel: no label ${typeof key === "string" ? `"${key}"` : key} on dimension "${dim}"${options.method ? "" : ' (use method "nearest" for the closest one)'}`,
      );
    return { kind: "index", index: best };
  }
  const descending = v.length > 1 && v[v.length - 1] < v[0];
  const lo =
    key.start === undefined || key.start === null ? undefined : labelValue(coord, key.start);
  const hi = key.stop === undefined || key.stop === null ? undefined : labelValue(coord, key.stop);
  // labels are inclusive at both ends, in the coordinate's own order (pandas semantics)
  let first = 0;
  let last = v.length - 1;
  const before = (a: number, b: number) => (descending ? a > b : a < b);
  if (lo !== undefined) while (first < v.length && before(v[first], lo)) first++;
  if (hi !== undefined) while (last >= 0 && before(hi, v[last])) last--;
  const step = key.step ?? 1;
  return {
    kind: "range",
    start: first,
    step,
    count: Math.max(0, Math.ceil((last - first + 1) / step)),
  };
}
