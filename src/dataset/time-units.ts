import { InputError } from "../util/errors.js";
import { encodeTime, normalizeCalendar, type Calendar, type DateParts } from "./calendar.js";

/** The parts of a CF time `units` string such as `"days since 2000-01-01 00:00:00"`. */
export interface TimeUnits {
  /** The unit word as written, lower-cased (`days`, `hrs`, `s`, `months`...). */
  unit: string;
  /** The reference date and time, as written (in the calendar of the variable). */
  reference: Required<DateParts>;
  /** The reference's offset from UTC in seconds (`+03:00` → 10800); 0 when absent. */
  utcOffset: number;
}

/** How a calendar's time numbers map to seconds since 1970-01-01 of that calendar. */
export interface TimeCoding {
  /** The `units` attribute it came from. */
  units: string;
  calendar: Calendar;
  /** Seconds per unit (86400 for days). */
  unitSeconds: number;
  /** The reference date in seconds since 1970-01-01T00:00 of `calendar`. */
  referenceSeconds: number;
}

/** Seconds per unit, by every spelling cftime accepts. */
const UNIT_SECONDS: Record<string, number> = {};
for (const [seconds, names] of [
  [1e-6, "microseconds microsecond us usec usecs"],
  [1e-3, "milliseconds millisecond ms msec msecs"],
  [1, "seconds second sec secs s"],
  [60, "minutes minute min mins"],
  [3600, "hours hour hr hrs h"],
  [86400, "days day d"],
] as const)
  for (const name of names.split(" ")) UNIT_SECONDS[name] = seconds;

// cftime's ISO 8601 subset: year[-month[-day[ hh:mm[:ss[.fff]]]]] with an optional zone; of
// udunits' unsigned offsets only "0:00" (xarray reads "5:00" as 5 h after the reference, not
// as +5:00: others stay refused)
const REFERENCE =
  /^([+-]?\d+)(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?|0{1,2}:00)?$/i;

/**
 * Splits a CF time `units` string.
 *
 * @example
 * ```ts
 * parseTimeUnits("days since 2000-01-01 00:00:00");
 * // { unit: "days", reference: { year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, utcOffset: 0 }
 * ```
 */
export function parseTimeUnits(units: string): TimeUnits {
  const match = /^\s*(\S+)\s+since\s+(.+?)\s*$/i.exec(units);
  const ref = match && REFERENCE.exec(match[2]);
  if (!match || !ref)
    throw new InputError(
      `cannot parse time units "${units}" (expected like "days since 2000-01-01")`,
    );
  const zone = ref[7]?.toUpperCase();
  let utcOffset = 0;
  if (zone && !["Z", "UTC", "GMT"].includes(zone) && /^[+-]/.test(zone)) {
    const [, sign, hh, mm] = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone)!;
    utcOffset = (sign === "-" ? -1 : 1) * (Number(hh) * 3600 + Number(mm ?? 0) * 60);
  }
  return {
    unit: match[1].toLowerCase(),
    reference: {
      year: Number(ref[1]),
      month: Number(ref[2] ?? 1),
      day: Number(ref[3] ?? 1),
      hour: Number(ref[4] ?? 0),
      minute: Number(ref[5] ?? 0),
      second: Number(ref[6] ?? 0),
    },
    utcOffset,
  };
}

/**
 * Seconds in one `unit` of `calendar`. Like cftime (and so xarray), months and years have no
 * fixed length and are refused, except `months` (30 days) in the 360_day calendar and
 * `common_years` (365 days) in noleap.
 */
export function unitSeconds(unit: string, calendar: Calendar): number {
  const seconds = UNIT_SECONDS[unit];
  if (seconds !== undefined) return seconds;
  if ((unit === "months" || unit === "month") && calendar === "360_day") return 30 * 86400;
  if ((unit === "common_years" || unit === "common_year") && calendar === "noleap")
    return 365 * 86400;
  const why = /^(months?|years?|common_years?)$/.test(unit)
    ? `${unit} have no fixed length in the ${calendar} calendar (only "months" in 360_day and "common_years" in noleap are allowed, as in cftime and xarray)`
    : "use seconds, minutes, hours or days";
  throw new InputError(`unsupported time unit "${unit}": ${why}`);
}

/**
 * The coding of a time variable from its `units` and `calendar` attributes.
 *
 * @example
 * ```ts
 * const c = timeCoding("hours since 1970-01-02", "noleap");
 * decodeTimeValue(6, c); // 86400 + 6 * 3600
 * ```
 */
export function timeCoding(units: string, calendar?: string): TimeCoding {
  const cal = normalizeCalendar(calendar);
  const parsed = parseTimeUnits(units);
  return {
    units,
    calendar: cal,
    unitSeconds: unitSeconds(parsed.unit, cal),
    referenceSeconds: encodeTime(parsed.reference, cal) - parsed.utcOffset,
  };
}

/** Seconds since 1970-01-01 of the coding's calendar for one stored time number (NaN stays NaN). */
export function decodeTimeValue(value: number, coding: TimeCoding): number {
  return coding.referenceSeconds + value * coding.unitSeconds;
}

/** The stored time number for `seconds` since 1970-01-01 of the coding's calendar. */
export function encodeTimeValue(seconds: number, coding: TimeCoding): number {
  return (seconds - coding.referenceSeconds) / coding.unitSeconds;
}

/** Whether an attribute set describes a CF time axis (`units` containing "since", as xarray checks). */
export function isTimeUnits(units: unknown): units is string {
  return typeof units === "string" && units.includes("since");
}
