import { formatTime } from "../dataset/calendar.js";
import { InputError } from "../util/errors.js";
import type { Coord } from "./coords.js";

/** How the labels of a dim shared by several arrays are combined, as xarray's `join`. */
export type Join = "inner" | "outer" | "left" | "right" | "exact";

export const JOINS: readonly Join[] = ["inner", "outer", "left", "right", "exact"];

/** One array's side of a shared dim: its coordinate there (if any), length and name. */
export interface JoinSide {
  coord: Coord | undefined;
  length: number;
  name: string;
}

/**
 * The joined labels of a dim and, per side, the position each joined label has in that side
 * (-1: absent, filled with NaN); `undefined` for a side that is already laid out as the result
 * (equal labels, or no coordinate).
 */
export interface LabelJoin {
  coord: Coord;
  positions: (Int32Array | undefined)[];
}

/**
 * Joins the labels of `dim` across `sides` as xarray's `align` does: `inner` keeps the first
 * labelled side's order, `outer` sorts the union, `left`/`right` take the first/last side's
 * labels, `exact` refuses any difference. Times compare as decoded instants. Returns
 * `undefined` when every labelled side already has the same labels (nothing to move: the fast
 * path); sides without a coordinate must then have the joined length. `what` names the
 * operation in errors.
 *
 * @example
 * ```ts
 * // a's lat runs 90…-90, b's -90…90: b is read reversed
 * const j = joinLabels("mul", "lat", [{ coord: a.coords.lat, length: 181, name: "a" },
 *   { coord: b.coords.lat, length: 181, name: "b" }], "inner");
 * ```
 */
export function joinLabels(
  what: string,
  dim: string,
  sides: JoinSide[],
  join: Join,
): LabelJoin | undefined {
  const labelled = sides.filter((s) => s.coord);
  const unlabelled = sides.filter((s) => !s.coord);
  if (labelled.length === 0) {
    const lengths = new Set(sides.map((s) => s.length));
    if (lengths.size > 1) throw sizeError(what, dim, sides);
    return undefined;
  }
  checkComparable(what, dim, labelled);
  const first = labelled[0].coord!;
  const equal = labelled.every((s) => sameValues(s.coord!.values, first.values));
  let labels: Float64Array;
  if (equal) labels = first.values;
  else {
    if (join === "exact")
      throw new InputError(
        `${what}: dimension "${dim}" has different labels in ${describeSide(labelled[0], dim)} and ${describeSide(
          labelled.find((s) => !sameValues(s.coord!.values, first.values))!,
          dim,
        )} (join "exact")`,
      );
    for (const s of labelled) duplicateCheck(what, dim, s);
    labels = joinedValues(labelled, join);
    if (labels.length === 0)
      throw new InputError(
        `${what}: dimension "${dim}" has no label in common between ${labelled.map((s) => describeSide(s, dim)).join(" and ")}`,
      );
  }
  for (const s of unlabelled)
    if (s.length !== labels.length)
      throw new InputError(
        `${what}: dimension "${dim}" has no coordinate in ${s.name} (length ${s.length}) and cannot be aligned with ${describeSide(labelled[0], dim)}${equal ? "" : ` (${labels.length} labels after a "${join}" join)`}`,
      );
  if (equal) return undefined;
  const coord: Coord = {
    ...(join === "right" ? labelled[labelled.length - 1] : labelled[0]).coord!,
    values: labels,
  };
  const positions = sides.map((s) => (s.coord ? positionsOf(s.coord.values, labels) : undefined));
  return { coord, positions };
}

/** The joined labels of sides that differ. */
function joinedValues(sides: JoinSide[], join: Join): Float64Array {
  const sets = sides.map((s) => new Set(s.coord!.values));
  switch (join) {
    case "left":
      return sides[0].coord!.values;
    case "right":
      return sides[sides.length - 1].coord!.values;
    case "inner":
      return sides[0].coord!.values.filter((v) => sets.every((set) => set.has(v)));
    default: {
      // pandas' union: sorted, NaN last
      const union = new Float64Array(new Set(sets.flatMap((set) => [...set])));
      return union.sort();
    }
  }
}

/** For each label, its position in `values` (-1: absent). Labels in `values` are distinct. */
function positionsOf(values: Float64Array, labels: Float64Array): Int32Array {
  const at = new Map<number, number>();
  values.forEach((v, i) => at.set(v, i));
  return Int32Array.from(labels, (v) => at.get(v) ?? -1);
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) return false;
  return true;
}

function duplicateCheck(what: string, dim: string, side: JoinSide): void {
  const values = side.coord!.values;
  if (new Set(values).size !== values.length)
    throw new InputError(
      `${what}: cannot align dimension "${dim}": ${side.name}'s labels repeat (${describeSide(side, dim)})`,
    );
}

/** Times compare with times of a compatible calendar only; numbers with numbers. */
function checkComparable(what: string, dim: string, sides: JoinSide[]): void {
  const kind = (s: JoinSide) => {
    const t = s.coord!.time;
    if (!t) return "numbers";
    // the two Gregorian calendars count the same seconds since 1970 for the dates they share
    return t.calendar === "proleptic_gregorian" ? "standard" : t.calendar;
  };
  const first = kind(sides[0]);
  const other = sides.find((s) => kind(s) !== first);
  if (other)
    throw new InputError(
      `${what}: cannot align dimension "${dim}": ${sides[0].name}'s labels are ${describeKind(first)} but ${other.name}'s are ${describeKind(kind(other))}`,
    );
}

function describeKind(kind: string): string {
  return kind === "numbers" ? "numbers" : `times in the ${kind} calendar`;
}

function sizeError(what: string, dim: string, sides: JoinSide[]): InputError {
  const [a, b] = [sides[0], sides.find((s) => s.length !== sides[0].length)!];
  return new InputError(
    `${what}: dimension "${dim}" has size ${a.length} in ${a.name} but ${b.length} in ${b.name}, and no coordinate to align them by`,
  );
}

/** `a (lat 90…-90, 181 labels)`: a side and the range of its labels, for errors. */
function describeSide(side: JoinSide, dim: string): string {
  const c = side.coord!;
  const v = c.values;
  const show = (x: number) => (c.time ? formatTime(x, c.time.calendar) : String(x));
  const range = v.length === 0 ? "no labels" : `${show(v[0])}…${show(v[v.length - 1])}`;
  return `${side.name} (${dim} ${range}, ${v.length} labels)`;
}
