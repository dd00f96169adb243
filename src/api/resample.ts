import type { WindowAxis } from "../core/graph.js";
import { reducer } from "../core/kernels/reductions.js";
import { daysInMonth, encodeTime, timeComponents, type Calendar } from "../dataset/calendar.js";
import { InputError } from "../util/errors.js";
import type { ReduceOptions } from "./build.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { windowReduction, WindowedReductions } from "./windows.js";

const DAY = 86400;

/** A resampling frequency: bins as consecutive integer keys, each key's label time. */
interface Frequency {
  /** The bin key of a time (keys of consecutive bins differ by `step`). */
  key(seconds: number): number;
  step: number;
  /** The label (seconds) of the bin with `key`. */
  label(key: number): number;
}

const MONTH_ALIASES: Record<string, { months: number; anchor: number; end: boolean }> = {
  MS: { months: 1, anchor: 1, end: false },
  M: { months: 1, anchor: 1, end: true },
  QS: { months: 3, anchor: 1, end: false },
  "QS-JAN": { months: 3, anchor: 1, end: false },
  "QS-DEC": { months: 3, anchor: 12, end: false },
  Q: { months: 3, anchor: 1, end: true },
  "Q-DEC": { months: 3, anchor: 1, end: true },
  YS: { months: 12, anchor: 1, end: false },
  AS: { months: 12, anchor: 1, end: false },
  A: { months: 12, anchor: 1, end: true },
  Y: { months: 12, anchor: 1, end: true },
};

/**
 * Parses a pandas/xarray frequency: `D`, `nD`, `H`, `nH`, `W` (weeks ending Sunday,
 * labelled by the Sunday), `MS`/`M` (months labelled by their first/last day), `QS-DEC`,
 * `QS`, `Q`, `YS`/`AS`, `A`/`Y` — all in the coordinate's calendar. Day and hour bins start
 * at midnight of the first time (pandas' `start_day` origin).
 */
function parseFrequency(freq: string, calendar: Calendar, first: number): Frequency {
  const m = /^(\d*)(D|H|W|W-SUN|MS|M|QS|QS-JAN|QS-DEC|Q|Q-DEC|YS|AS|A|Y)$/.exec(freq.trim());
  if (!m)
    throw new InputError(
      `resample: unknown frequency "${freq}" (known: nD, nH, W, MS, M, QS-DEC, QS, Q, YS/AS, A/Y)`,
    );
  const n = m[1] ? Number(m[1]) : 1;
  if (!(n >= 1)) throw new InputError(`resample: frequency "${freq}" needs a positive multiple`);
  const unit = m[2];
  if (unit === "D" || unit === "H") {
    const width = n * (unit === "D" ? DAY : 3600);
    const origin = Math.floor(first / DAY) * DAY;
    return {
      key: (s) => Math.floor((s - origin) / width),
      step: 1,
      label: (k) => origin + k * width,
    };
  }
  if (unit === "W" || unit === "W-SUN") {
    if (n !== 1) throw new InputError(`resample: "${freq}": only single weeks are supported`);
    // the bin of a day is the Sunday ending its week
    return {
      key: (s) => {
        const day = Math.floor(s / DAY);
        return day + 6 - timeComponents(day * DAY, calendar).dayofweek;
      },
      step: 7,
      label: (k) => k * DAY,
    };
  }
  if (n !== 1)
    throw new InputError(
      `resample: "${freq}": multiples of month-based frequencies are not supported`,
    );
  const { months, anchor, end } = MONTH_ALIASES[unit];
  return {
    key: (s) => {
      const c = timeComponents(s, calendar);
      const index = c.year * 12 + c.month - 1;
      // months since the anchor month, floored to the bin width
      return index - ((((index - (anchor - 1)) % months) + months) % months);
    },
    step: months,
    label: (k) => {
      const year = Math.floor(k / 12);
      const month = k - year * 12 + 1;
      if (!end) return encodeTime({ year, month, day: 1 }, calendar);
      const last = k + months - 1;
      const ly = Math.floor(last / 12);
      const lm = last - ly * 12 + 1;
      return encodeTime({ year: ly, month: lm, day: daysInMonth(ly, lm, calendar) }, calendar);
    },
  };
}

/**
 * Time bins along a time dim (`t.resample({ time: "MS" }).mean()`), as xarray's `resample`:
 * every bin from the first time's to the last's (empty ones give NaN), labelled as xarray
 * labels them (bin start for D/MS/QS/YS, bin end for W/M/Q/A). Bins are contiguous windows,
 * so reductions sweep: each value is added and dropped once.
 */
export class Resample extends WindowedReductions {
  readonly dim: string;
  private readonly starts: number[] = [];
  private readonly stops: number[] = [];
  private readonly labels: number[] = [];

  constructor(
    readonly array: LazyArray,
    frequency: Readonly<Record<string, string>>,
  ) {
    super();
    const entries = Object.entries(frequency);
    if (entries.length !== 1)
      throw new InputError('resample: give one dimension and its frequency, like { time: "MS" }');
    const [[dim, freq]] = entries;
    this.dim = dim;
    array.sizeOf(dim);
    const coord = array.coords[dim];
    if (!coord?.time) throw new InputError(`resample: "${dim}" has no time coordinate`);
    const v = coord.values;
    for (let i = 1; i < v.length; i++)
      if (!(v[i] >= v[i - 1]))
        throw new InputError(
          `resample: the "${dim}" coordinate is not sorted ascending (at position ${i})`,
        );
    if (v.length === 0) return;
    const f = parseFrequency(freq, coord.time.calendar, v[0]);
    let t = 0;
    for (let k = f.key(v[0]), last = f.key(v[v.length - 1]); k <= last; k += f.step) {
      const start = t;
      while (t < v.length && f.key(v[t]) === k) t++;
      this.starts.push(start);
      this.stops.push(t);
      this.labels.push(f.label(k));
    }
  }

  reduce(fn: string, options: ReduceOptions = {}): LazyArray {
    const a = this.array;
    const windows: Record<string, WindowAxis> = {
      [this.dim]: { outDim: this.dim, starts: this.starts, stops: this.stops },
    };
    const shape = a.dims.map((d, i) => (d === this.dim ? this.starts.length : a.shape[i]));
    // empty bins are NaN (xarray reindexes them in), so counts and integer sums become floats
    const empty = this.starts.some((s, j) => this.stops[j] === s);
    const r = reducer(fn);
    const dtype = empty ? "float64" : fn === "count" ? "int64" : r.dtype(a.dtype);
    const built = windowReduction(a, fn, windows, shape, dtype, { emptyIsNaN: true }, options);
    const time: Coord = { ...a.coords[this.dim], values: Float64Array.from(this.labels) };
    return new LazyArray(built, { ...a.coords, [this.dim]: time }, a.attrs, a.name);
  }
}
