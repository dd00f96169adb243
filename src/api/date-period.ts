import { daysInMonth, encodeTime, hasYearZero, type Calendar } from "../dataset/calendar.js";
import { InputError } from "../util/errors.js";

/** How precisely a date was written: `"2003"` is a year, `"2003-07-15T12"` an hour. */
export type DateResolution = "year" | "month" | "day" | "hour" | "minute" | "second";

/** Resolutions from the coarsest to the finest. */
export const RESOLUTIONS: readonly DateResolution[] = [
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
];

/**
 * The period a partial date names, as pandas and xarray read it: `"2003"` is the whole year,
 * `"2003-07"` the month, and so on. Times are seconds since 1970-01-01 of the calendar;
 * `stop` is exclusive (the start of the next period).
 */
export interface DatePeriod {
  start: number;
  stop: number;
  resolution: DateResolution;
}

const DATE =
  /^(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d{1,2})(?::(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?)?)?)?)?$/;

/**
 * Parses `YYYY[-MM[-DD[THH[:MM[:SS]]]]]` in `calendar` as the period it names.
 *
 * @example
 * ```ts
 * parseDatePeriod("2003-02", "360_day", "time"); // February 2003: 30 days from 2003-02-01
 * ```
 */
export function parseDatePeriod(s: string, calendar: Calendar, dim: string): DatePeriod {
  const m = DATE.exec(s.trim());
  if (!m)
    throw new InputError(
      `"${s}" on dimension "${dim}" is not a date like 2003, 2003-07, 2000-01-31 or 2000-01-31T12:00`,
    );
  const year = Number(m[1]);
  const month = Number(m[2] ?? 1);
  const day = Number(m[3] ?? 1);
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  const missing = m.slice(2, 7).findIndex((p) => p === undefined);
  const resolution = RESOLUTIONS[missing < 0 ? RESOLUTIONS.length - 1 : missing];
  if (hour > 23 || minute > 59 || second >= 60)
    throw new InputError(`"${s}" on dimension "${dim}" is not a time of day`);
  const start = encodeTime({ year, month, day, hour, minute, second }, calendar);
  const next =
    resolution === "year"
      ? encodeTime(
          { year: year === -1 && !hasYearZero(calendar) ? 1 : year + 1, month: 1, day: 1 },
          calendar,
        )
      : resolution === "month"
        ? start + daysInMonth(year, month, calendar) * 86400
        : start + { day: 86400, hour: 3600, minute: 60, second: 1 }[resolution];
  return { start, stop: next, resolution };
}

const DURATION_SECONDS: Record<string, number> = {
  W: 7 * 86400,
  D: 86400,
  H: 3600,
  h: 3600,
  T: 60,
  min: 60,
  S: 1,
  s: 1,
};

/**
 * A pandas duration (`"1D"`, `"6H"`, `"30min"`, `"10s"`, `"2W"`) in seconds: what
 * `tolerance` means on a time coordinate.
 */
export function parseDuration(s: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)?\s*(W|D|H|h|T|min|S|s)\s*$/.exec(s);
  if (!m) throw new InputError(`${what}: "${s}" is not a duration like 1D, 6H, 30min or 10s`);
  return Number(m[1] ?? 1) * DURATION_SECONDS[m[2]];
}
