import { InputError } from "../util/errors.js";

/**
 * The CF calendars, by their canonical names. `standard` is the mixed Julian/Gregorian
 * calendar of CF and cftime (Julian up to 1582-10-04, Gregorian from 1582-10-15).
 */
export type Calendar =
  "standard" | "proleptic_gregorian" | "julian" | "noleap" | "all_leap" | "360_day";

const ALIASES: Record<string, Calendar> = {
  standard: "standard",
  gregorian: "standard",
  proleptic_gregorian: "proleptic_gregorian",
  julian: "julian",
  noleap: "noleap",
  "365_day": "noleap",
  all_leap: "all_leap",
  "366_day": "all_leap",
  "360_day": "360_day",
};

/**
 * The canonical name of a CF calendar attribute (case-insensitive; `gregorian` → `standard`,
 * `365_day` → `noleap`, `366_day` → `all_leap`); `undefined` means `standard`, as in CF.
 */
export function normalizeCalendar(name: string | undefined): Calendar {
  if (name === undefined) return "standard";
  const calendar = ALIASES[name.trim().toLowerCase()];
  if (!calendar)
    throw new InputError(`unknown calendar "${name}" (known: ${Object.keys(ALIASES).join(", ")})`);
  return calendar;
}

/** A date and time of day in some calendar. `year` is as cftime numbers it (see `hasYearZero`). */
export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour?: number;
  minute?: number;
  /** Seconds, possibly fractional. */
  second?: number;
}

/** Everything grouping and resampling need from a time value. */
export interface TimeComponents extends Required<DateParts> {
  /** 1-based day of the year. */
  dayofyear: number;
  /** Monday = 0 … Sunday = 6, as xarray and cftime number them. */
  dayofweek: number;
  /** `DJF`, `MAM`, `JJA` or `SON`. */
  season: string;
}

const SECONDS_PER_DAY = 86400;
/** Real day number (days since Gregorian 1970-01-01) of Gregorian 1582-10-15, where `standard` switches. */
const GREGORIAN_START = -141427;
/** Days from the Julian-calendar 1970-01-01 back to the Gregorian one. */
const JULIAN_LAG = 13;
/**
 * The weekday of day 0 (1970-01-01 of the calendar), Monday = 0: cftime counts weekdays from
 * its own day numbers, so idealized calendars get these fixed offsets (checked against cftime).
 */
const WEEKDAY_OF_EPOCH: Record<Calendar, number> = {
  standard: 3,
  proleptic_gregorian: 3,
  julian: 2,
  noleap: 3,
  all_leap: 6,
  "360_day": 2,
};

const CUMULATIVE_DAYS_NOLEAP = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
const CUMULATIVE_DAYS_LEAP = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366];
const SEASONS = [
  "DJF",
  "DJF",
  "MAM",
  "MAM",
  "MAM",
  "JJA",
  "JJA",
  "JJA",
  "SON",
  "SON",
  "SON",
  "DJF",
];

/** Whether cftime numbers a year 0 in `calendar` (the real-world `standard` and `julian` go from -1 to 1). */
export function hasYearZero(calendar: Calendar): boolean {
  return calendar !== "standard" && calendar !== "julian";
}

/** Astronomical year (with a year 0) of a cftime year. */
function toAstronomical(year: number, calendar: Calendar): number {
  return hasYearZero(calendar) || year > 0 ? year : year + 1;
}

function fromAstronomical(year: number, calendar: Calendar): number {
  return hasYearZero(calendar) || year > 0 ? year : year - 1;
}

// Days from March 1 to the first of month `m` (March-based years put the leap day last).
function daysBeforeMonthFromMarch(m: number): number {
  return Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5);
}

function monthDayFromMarch(dayOfMarchYear: number): [number, number] {
  const mp = Math.floor((5 * dayOfMarchYear + 2) / 153);
  const day = dayOfMarchYear - Math.floor((153 * mp + 2) / 5) + 1;
  return [mp < 10 ? mp + 3 : mp - 9, day];
}

// Howard Hinnant's days_from_civil: proleptic Gregorian, astronomical years.
function gregorianToDays(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doe =
    yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + daysBeforeMonthFromMarch(m) + d - 1;
  return era * 146097 + doe - 719468;
}

function daysToGregorian(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const [m, d] = monthDayFromMarch(doy);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

// The same with Julian leap years (every 4th): real day numbers, astronomical years.
function julianToDays(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 4);
  const yoe = y - era * 4;
  return era * 1461 + yoe * 365 + daysBeforeMonthFromMarch(m) + d - 1 - 719470;
}

function daysToJulian(z: number): [number, number, number] {
  z += 719470;
  const era = Math.floor(z / 1461);
  const doe = z - era * 1461;
  const yoe = Math.floor((doe - Math.floor(doe / 1460)) / 365);
  const [m, d] = monthDayFromMarch(doe - 365 * yoe);
  return [yoe + era * 4 + (m <= 2 ? 1 : 0), m, d];
}

function fixedYearLength(calendar: Calendar): number {
  return calendar === "noleap" ? 365 : calendar === "all_leap" ? 366 : 360;
}

function isLeapYear(astroYear: number, calendar: Calendar): boolean {
  switch (calendar) {
    case "noleap":
    case "360_day":
      return false;
    case "all_leap":
      return true;
    case "julian":
      return astroYear % 4 === 0;
    case "proleptic_gregorian":
      return gregorianLeap(astroYear);
    case "standard":
      return astroYear > 1582 ? gregorianLeap(astroYear) : astroYear % 4 === 0;
  }
}

function gregorianLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Number of days in `month` of `year` (a cftime year) in `calendar`. */
export function daysInMonth(year: number, month: number, calendar: Calendar): number {
  if (calendar === "360_day") return 30;
  const cumulative = isLeapYear(toAstronomical(year, calendar), calendar)
    ? CUMULATIVE_DAYS_LEAP
    : CUMULATIVE_DAYS_NOLEAP;
  return cumulative[month] - cumulative[month - 1];
}

/**
 * 1-based day of the year, counted from the month lengths as cftime does (so in the
 * standard calendar 1582-10-15 is day 288, the ten skipped days notwithstanding).
 */
function dayOfYear(year: number, month: number, day: number, calendar: Calendar): number {
  if (calendar === "360_day") return (month - 1) * 30 + day;
  const cumulative = isLeapYear(toAstronomical(year, calendar), calendar)
    ? CUMULATIVE_DAYS_LEAP
    : CUMULATIVE_DAYS_NOLEAP;
  return cumulative[month - 1] + day;
}

/** Day number (days since 1970-01-01 of `calendar`) of a date; throws for dates the calendar lacks. */
export function dateToDays(year: number, month: number, day: number, calendar: Calendar): number {
  const valid =
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month, calendar) &&
    (year !== 0 || hasYearZero(calendar));
  if (!valid)
    throw new InputError(
      `${formatDate(year, month, day)} is not a date of the ${calendar} calendar`,
    );
  const y = toAstronomical(year, calendar);
  switch (calendar) {
    case "proleptic_gregorian":
      return gregorianToDays(y, month, day);
    case "julian":
      return julianToDays(y, month, day) - JULIAN_LAG;
    case "standard": {
      const gregorian = gregorianToDays(y, month, day);
      if (gregorian >= GREGORIAN_START) return gregorian;
      const julian = julianToDays(y, month, day);
      // 1582-10-05 … 1582-10-14 never happened in the standard calendar
      if (julian >= GREGORIAN_START)
        throw new InputError(
          `${formatDate(year, month, day)} is not a date of the standard calendar (Julian → Gregorian gap)`,
        );
      return julian;
    }
    default: {
      const cumulative = calendar === "all_leap" ? CUMULATIVE_DAYS_LEAP : CUMULATIVE_DAYS_NOLEAP;
      const before = calendar === "360_day" ? (month - 1) * 30 : cumulative[month - 1];
      return (y - 1970) * fixedYearLength(calendar) + before + day - 1;
    }
  }
}

/** The date of day number `days` (an integer, days since 1970-01-01 of `calendar`). */
export function daysToDate(
  days: number,
  calendar: Calendar,
): { year: number; month: number; day: number } {
  let ymd: [number, number, number];
  switch (calendar) {
    case "proleptic_gregorian":
      ymd = daysToGregorian(days);
      break;
    case "julian":
      ymd = daysToJulian(days + JULIAN_LAG);
      break;
    case "standard":
      ymd = days >= GREGORIAN_START ? daysToGregorian(days) : daysToJulian(days);
      break;
    default: {
      const length = fixedYearLength(calendar);
      const yearIndex = Math.floor(days / length);
      const doy = days - yearIndex * length;
      if (calendar === "360_day")
        ymd = [1970 + yearIndex, Math.floor(doy / 30) + 1, (doy % 30) + 1];
      else {
        const cumulative = calendar === "all_leap" ? CUMULATIVE_DAYS_LEAP : CUMULATIVE_DAYS_NOLEAP;
        let m = 1;
        while (cumulative[m] <= doy) m++;
        ymd = [1970 + yearIndex, m, doy - cumulative[m - 1] + 1];
      }
    }
  }
  return { year: fromAstronomical(ymd[0], calendar), month: ymd[1], day: ymd[2] };
}

/**
 * Seconds since 1970-01-01T00:00:00 of `calendar` for a date and time in it (the inverse of
 * `timeComponents`).
 *
 * @example
 * ```ts
 * encodeTime({ year: 1970, month: 2, day: 1 }, "360_day"); // 30 * 86400
 * ```
 */
export function encodeTime(date: DateParts, calendar: Calendar): number {
  const days = dateToDays(date.year, date.month, date.day, calendar);
  return (
    days * SECONDS_PER_DAY + (date.hour ?? 0) * 3600 + (date.minute ?? 0) * 60 + (date.second ?? 0)
  );
}

/**
 * The calendar fields of `seconds` (since 1970-01-01T00:00:00 of `calendar`): what
 * `time.year`, `time.month`, `time.dayofyear`, `time.season`... group by.
 */
export function timeComponents(seconds: number, calendar: Calendar): TimeComponents {
  if (!Number.isFinite(seconds))
    throw new InputError(`cannot take the date of a missing time value (${seconds})`);
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const secondOfDay = seconds - days * SECONDS_PER_DAY;
  const { year, month, day } = daysToDate(days, calendar);
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay - hour * 3600) / 60);
  return {
    year,
    month,
    day,
    hour,
    minute,
    second: secondOfDay - hour * 3600 - minute * 60,
    dayofyear: dayOfYear(year, month, day, calendar),
    dayofweek: (((days + WEEKDAY_OF_EPOCH[calendar]) % 7) + 7) % 7,
    season: SEASONS[month - 1],
  };
}

/**
 * An ISO-like string for a time value: `2000-03-01T00:00:00` (fractional seconds when
 * present, `NaT` for a missing value). Years beyond 4 digits or negative keep their sign.
 */
export function formatTime(seconds: number, calendar: Calendar): string {
  if (!Number.isFinite(seconds)) return "NaT";
  // integer microseconds keep the fields exact (no 59.9999999 seconds)
  const micros = Math.round(seconds * 1e6);
  const days = Math.floor(micros / 86400e6);
  const microOfDay = micros - days * 86400e6;
  const { year, month, day } = daysToDate(days, calendar);
  const secondOfDay = Math.floor(microOfDay / 1e6);
  const fraction = microOfDay - secondOfDay * 1e6;
  const frac = fraction > 0 ? `.${String(fraction).padStart(6, "0").replace(/0+$/, "")}` : "";
  const clock = `${pad(Math.floor(secondOfDay / 3600))}:${pad(Math.floor(secondOfDay / 60) % 60)}:${pad(secondOfDay % 60)}`;
  return `${formatDate(year, month, day)}T${clock}${frac}`;
}

function formatDate(year: number, month: number, day: number): string {
  const y = year < 0 ? `-${String(-year).padStart(4, "0")}` : String(year).padStart(4, "0");
  return `${y}-${pad(month)}-${pad(day)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
