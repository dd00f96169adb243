import { InputError } from "../util/errors.js";
import type { SelOptions } from "./selection.js";

/**
 * Lookups in a 1-D coordinate as pandas' index does them: exact labels, the nearest or the
 * previous/next label (`method`), and spans of labels between bounds. A sorted coordinate
 * (ascending or descending, repeats allowed) is searched by bisection; an unsorted one allows
 * exact labels only.
 */
export class LabelIndex {
  /** 1 ascending, -1 descending, 0 unsorted. */
  readonly order: 1 | -1 | 0;

  constructor(readonly values: Float64Array) {
    let up = true;
    let down = true;
    for (let i = 1; i < values.length; i++) {
      if (values[i] < values[i - 1]) up = false;
      if (values[i] > values[i - 1]) down = false;
    }
    this.order = up ? 1 : down ? -1 : 0;
  }

  /** The first position where, in the coordinate's order, labels reach `x` (`strict`: pass it). */
  #bisect(x: number, strict: boolean): number {
    const s = this.order;
    let a = 0;
    let b = this.values.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const v = s * this.values[mid];
      if (strict ? v <= s * x : v < s * x) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** The position of label `x` under `method` (-1: none within `tolerance`). */
  find(x: number, method: SelOptions["method"], tolerance = Infinity): number {
    const v = this.values;
    if (this.order === 0) {
      if (method) throw new InputError(`sel: method "${method}" needs a sorted coordinate`);
      return v.indexOf(x);
    }
    const at = this.#bisect(x, false);
    if (at < v.length && v[at] === x) return at;
    if (!method) return -1;
    // pad: the last label before x in the coordinate's order; backfill: the first after it
    const pad = at - 1;
    const backfill = at < v.length ? at : -1;
    let i: number;
    if (method === "pad" || method === "ffill") i = pad;
    else if (method === "backfill" || method === "bfill") i = backfill;
    else if (method === "nearest") {
      if (pad < 0) i = backfill;
      else if (backfill < 0) i = pad;
      else {
        const dp = Math.abs(v[pad] - x);
        const db = Math.abs(v[backfill] - x);
        // a tie goes to the larger label, as pandas
        i = dp < db || (dp === db && v[pad] > v[backfill]) ? pad : backfill;
      }
    } else
      throw new InputError(
        `sel: unknown method "${method}" (nearest, pad, ffill, backfill, bfill)`,
      );
    return i >= 0 && Math.abs(v[i] - x) <= tolerance ? i : -1;
  }

  /**
   * First and last positions of the labels from bound `start` to bound `stop` in the
   * coordinate's order, each bound an interval of values (a date: its period); both ends
   * inclusive. `last < first` when none.
   */
  span(
    start: { lo: number; hi: number; hiInclusive: boolean } | undefined,
    stop: { lo: number; hi: number; hiInclusive: boolean } | undefined,
    dim: string,
  ): [number, number] {
    const n = this.values.length;
    if (this.order === 0 && (start || stop))
      throw new InputError(
        `sel: a slice of labels on dimension "${dim}" needs a sorted coordinate, and it is not`,
      );
    // ascending: from the start bound's beginning to the stop bound's end; descending: reversed
    const up = this.order >= 0;
    const from = start ? (up ? start.lo : start.hi) : undefined;
    const to = stop ? (up ? stop.hi : stop.lo) : undefined;
    const first =
      from === undefined
        ? 0
        : up || start!.hiInclusive
          ? this.#bisect(from, false)
          : this.#bisect(from, true);
    const last =
      to === undefined
        ? n - 1
        : !up || stop!.hiInclusive
          ? this.#bisect(to, true) - 1
          : this.#bisect(to, false) - 1;
    return [first, last];
  }

  /** Positions of labels in [start, stop), in the coordinate's order. */
  within(start: number, stop: number): number[] {
    const out: number[] = [];
    this.values.forEach((v, i) => {
      if (v >= start && v < stop) out.push(i);
    });
    return out;
  }
}
