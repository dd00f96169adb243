import { encodeTime, formatTime, timeComponents, type Calendar } from "../dataset/calendar.js";

/** A tick on an axis: where, and what it says. */
export interface Tick {
  value: number;
  label: string;
}

/**
 * At most about `maxCount` round values (steps of 1, 2 or 5 × 10^k) between `lo` and `hi`,
 * labelled with as many decimals as the step needs (`degrees`: steps of 10, 15, 30, 45... for
 * coarse ticks on latitude and longitude).
 *
 * @example
 * ```ts
 * numberTicks(0.13, 0.92, 5).map((t) => t.label); // ["0.2", "0.4", "0.6", "0.8"]
 * ```
 */
export function numberTicks(
  lo: number,
  hi: number,
  maxCount = 6,
  label = formatTick,
  degrees = false,
): Tick[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi === lo) return [{ value: lo, label: label(lo, 0) }];
  const raw = (hi - lo) / Math.max(1, maxCount);
  const power = 10 ** Math.floor(Math.log10(raw));
  // degrees read best in steps that divide 90 and 180
  const steps =
    degrees && raw > 5 && raw <= 90
      ? [10, 15, 20, 30, 45, 60, 90]
      : [1, 2, 5, 10].map((m) => m * power);
  const fits = steps.findIndex((s) => s >= raw);
  const chosen = fits < 0 ? steps.length - 1 : fits;
  // with maxCount 2 the first step above `raw` can be longer than the range and miss it
  // (−0.04…0 in steps of 0.05): the next smaller step then fits at least one value
  const ticks = ticksAt(lo, hi, steps[chosen], label);
  return ticks.length > 0 || chosen === 0 ? ticks : ticksAt(lo, hi, steps[chosen - 1], label);
}

/** The multiples of `step` inside [lo, hi], labelled. */
function ticksAt(
  lo: number,
  hi: number,
  step: number,
  label: (value: number, step: number) => string,
): Tick[] {
  const ticks: Tick[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    const value = k * step;
    ticks.push({ value, label: label(Math.abs(value) < step * 1e-9 ? 0 : value, step) });
  }
  return ticks;
}

/** A tick value with the decimals its `step` needs (scientific notation for very large or small). */
export function formatTick(value: number, step: number): string {
  const magnitude = Math.max(Math.abs(value), Math.abs(step));
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) {
    const digits =
      step > 0 ? Math.floor(Math.log10(magnitude) + 1e-9) - Math.floor(Math.log10(step) + 1e-9) : 2;
    return value.toExponential(Math.min(20, Math.max(0, digits))).replace("e+", "e");
  }
  const decimals = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 2;
  return value.toFixed(decimals);
}

/** Degrees as `30°N` / `120°W`, for axes along latitude or longitude. */
export function degreeLabel(axis: "lat" | "lon"): (value: number, step: number) => string {
  return (value, step) => {
    const text = formatTick(Math.abs(value), step);
    if (value === 0) return "0°";
    return `${text}°${axis === "lat" ? (value > 0 ? "N" : "S") : value > 0 ? "E" : "W"}`;
  };
}

const HOUR = 3600;
const DAY = 86400;

/** Calendar steps for time axes, smallest first: fixed spans of seconds, or whole months/years. */
const TIME_STEPS: { unit: "s" | "month" | "year"; n: number; approx: number }[] = [
  ...[1, 3, 6, 12].map((n) => ({ unit: "s" as const, n: n * HOUR, approx: n * HOUR })),
  ...[1, 2, 7, 14].map((n) => ({ unit: "s" as const, n: n * DAY, approx: n * DAY })),
  ...[1, 2, 3, 6].map((n) => ({ unit: "month" as const, n, approx: n * 30.4 * DAY })),
  ...[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].map((n) => ({
    unit: "year" as const,
    n,
    approx: n * 365.25 * DAY,
  })),
];

/**
 * Ticks on a time axis (seconds since 1970-01-01 in `calendar`) at round dates: hours, days,
 * weeks, first days of months, or years, whichever gives at most about `maxCount`.
 */
export function timeTicks(lo: number, hi: number, calendar: Calendar, maxCount = 6): Tick[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [];
  if (lo > hi) [lo, hi] = [hi, lo];
  const span = hi - lo;
  const step =
    TIME_STEPS.find((s) => span / s.approx <= maxCount) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const values: number[] = [];
  if (step.unit === "s") {
    for (let t = Math.ceil(lo / step.n) * step.n; t <= hi; t += step.n) values.push(t);
  } else {
    const first = timeComponents(lo, calendar);
    const perYear = step.unit === "year" ? 12 * step.n : step.n;
    let m = Math.ceil((first.year * 12 + first.month - 1) / perYear) * perYear;
    for (; ; m += perYear) {
      const year = Math.floor(m / 12);
      const t = encodeTime({ year, month: m - year * 12 + 1, day: 1 }, calendar);
      if (t > hi) break;
      if (t >= lo) values.push(t);
    }
  }
  const width = step.unit === "year" ? 4 : step.unit === "month" ? 7 : step.n < DAY ? 16 : 10;
  return values.map((value) => ({ value, label: dateLabel(formatTime(value, calendar), width) }));
}

/** The leading `width` characters of an ISO date (`2001`, `2001-03`, `2001-03-15`, `2001-03-15T06`...). */
function dateLabel(iso: string, width: number): string {
  return width === 16 ? iso.slice(5, 16).replace("T", " ") : iso.slice(0, width);
}
