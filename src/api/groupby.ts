import type { Attrs } from "../array/chunked-array.js";
import { isFloat } from "../array/dtype.js";
import type { WindowAxis } from "../core/graph.js";
import { reducer } from "../core/kernels/reductions.js";
import { timeComponents, type TimeComponents } from "../dataset/calendar.js";
import { InputError } from "../util/errors.js";
import { buildMap, buildReduce, type Built, type ReduceOptions } from "./build.js";
import type { Coord } from "./coords.js";
import { LazyArray, type ArrayLike } from "./lazy-array.js";
import { buildWindow, WindowedReductions } from "./windows.js";

/** xarray's season labels, in its (alphabetical) order; a season coordinate holds indices into them. */
export const SEASONS = ["DJF", "JJA", "MAM", "SON"];

const TIME_KEYS = [
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "dayofyear",
  "dayofweek",
  "season",
] as const;

/** Groups of positions along one dim: the group of each position (-1: none) and each group's label. */
export interface Groups {
  /** The dim grouped over. */
  dim: string;
  /** The new dim the groups form. */
  groupDim: string;
  /** Group index of each position along `dim` (-1: in no group). */
  groupOf: Int32Array;
  /** The group coordinate. */
  coord: Coord;
}

/** Groups by a key: `"time.month"` (any `TimeComponents` field, in the coordinate's calendar) or a 1-D coordinate's name. */
export function groupsByKey(array: LazyArray, key: string): Groups {
  const [name, field] = key.split(".", 2);
  const coord = array.coords[name];
  if (!coord)
    throw new InputError(
      `groupby: ${array.name} has no coordinate "${name}" (coordinates: ${Object.keys(array.coords).join(", ") || "none"})`,
    );
  let labels: Float64Array;
  const attrs: Attrs = {};
  if (field !== undefined) {
    if (!coord.time)
      throw new InputError(`groupby: "${key}" needs a time coordinate, but "${name}" is not one`);
    if (!(TIME_KEYS as readonly string[]).includes(field))
      throw new InputError(
        `groupby: unknown time field "${field}" (known: ${TIME_KEYS.join(", ")})`,
      );
    const calendar = coord.time.calendar;
    labels = coord.values.map((v) => {
      const c = timeComponents(v, calendar);
      return field === "season"
        ? SEASONS.indexOf(c.season)
        : (c[field as keyof TimeComponents] as number);
    });
    if (field === "season") attrs.labels = SEASONS;
  } else labels = coord.values;
  const values = [...new Set(labels)].filter((v) => v === v).sort((a, b) => a - b);
  const position = new Map(values.map((v, i) => [v, i]));
  const groupOf = Int32Array.from(labels, (v) => position.get(v) ?? -1);
  const groupDim = field ?? name;
  return {
    dim: coord.dim,
    groupDim,
    groupOf,
    coord: { dim: groupDim, values: Float64Array.from(values), attrs },
  };
}

/** Options of `groupbyBins`. */
export interface BinOptions {
  /** Bins are (a, b] (default, as xarray) or [a, b). */
  right?: boolean;
  /** The first bin includes its lower edge. */
  includeLowest?: boolean;
}

/**
 * Groups by which bin of `edges` a 1-D coordinate's value falls in, as xarray's
 * `groupby_bins` (dim `<key>_bins`; every bin, empty ones give NaN). The coordinate holds
 * each bin's midpoint (intervals cannot be floats); `attrs.bin_edges` and `attrs.labels`
 * ("(a, b]") say which interval it is.
 */
export function groupsByBins(
  array: LazyArray,
  key: string,
  edges: readonly number[],
  options: BinOptions = {},
): Groups {
  const coord = array.coords[key];
  if (!coord) throw new InputError(`groupbyBins: ${array.name} has no coordinate "${key}"`);
  if (edges.length < 2 || edges.some((e, i) => i > 0 && !(e > edges[i - 1])))
    throw new InputError("groupbyBins: bins must be at least two increasing edges");
  const right = options.right ?? true;
  const groupOf = Int32Array.from(coord.values, (v) => {
    for (let b = 0; b < edges.length - 1; b++) {
      const lo = edges[b];
      const hi = edges[b + 1];
      const inside = right
        ? (v > lo || (options.includeLowest && b === 0 && v === lo)) && v <= hi
        : v >= lo && (v < hi || (options.includeLowest && b === edges.length - 2 && v === hi));
      if (inside) return b;
    }
    return -1;
  });
  const mids = Float64Array.from(edges.slice(1), (e, b) => (edges[b] + e) / 2);
  const labels = edges
    .slice(1)
    .map((e, b) => (right ? `(${edges[b]}, ${e}]` : `[${edges[b]}, ${e})`));
  const groupDim = `${key}_bins`;
  return {
    dim: coord.dim,
    groupDim,
    groupOf,
    coord: { dim: groupDim, values: mids, attrs: { bin_edges: [...edges], labels } },
  };
}

/**
 * How the members of the groups are laid out for a streamed reduction: member
 * `cycle * K + rank` of group g, where a new cycle starts whenever a group comes back after
 * others (a new year for months, seasons or days of the year, a new day for hours). So a
 * slab of members is a contiguous stretch of time across all groups, and reducing slab by
 * slab reads the axis once in order. Without such a rhythm (cycles would pad too much)
 * members are ranks within each group.
 */
export function memberLayout(
  groupOf: Int32Array,
  groupCount: number,
): { members: number; index: number[] } {
  const cycleOf = new Int32Array(groupOf.length);
  const rankOf = new Int32Array(groupOf.length);
  const seen = new Int32Array(groupCount).fill(-1);
  const counts = new Int32Array(groupCount);
  let cycle = 0;
  let prev = -1;
  let K = 0;
  for (let t = 0; t < groupOf.length; t++) {
    const g = groupOf[t];
    if (g < 0) continue;
    if (g !== prev && seen[g] === cycle) cycle++;
    if (seen[g] !== cycle) {
      seen[g] = cycle;
      counts[g] = 0;
    }
    cycleOf[t] = cycle;
    rankOf[t] = counts[g]++;
    K = Math.max(K, counts[g]);
    prev = g;
  }
  let members = (cycle + 1) * K;
  const total = groupOf.filter((g) => g >= 0).length;
  const byRank = members * groupCount > 4 * total + 1024;
  if (byRank) {
    counts.fill(0);
    for (let t = 0; t < groupOf.length; t++) if (groupOf[t] >= 0) rankOf[t] = counts[groupOf[t]]++;
    members = Math.max(1, ...counts);
  }
  const index = new Array<number>(members * groupCount).fill(-1);
  for (let t = 0; t < groupOf.length; t++) {
    const g = groupOf[t];
    if (g < 0) continue;
    index[g * members + (byRank ? 0 : cycleOf[t] * K) + rankOf[t]] = t;
  }
  return { members: Math.max(1, members), index };
}

/**
 * Groups whose per-group results broadcast back over the array for arithmetic: `add`, `sub`,
 * `mul`, `div` with an array that has the group dim spread it back first (`g.sub(g.mean())`
 * is the anomaly), in the array's dims; other arrays and numbers combine as they are.
 */
export abstract class GroupArithmetic extends WindowedReductions {
  abstract readonly array: LazyArray;
  abstract get groupDim(): string;
  /** A per-group result spread back over the grouped array's positions. */
  abstract broadcast(result: LazyArray): LazyArray;

  #arithmetic(method: "add" | "sub" | "mul" | "div", other: ArrayLike): LazyArray {
    const operand =
      typeof other !== "number" && other.dims.includes(this.groupDim)
        ? this.broadcast(other)
        : other;
    return this.array[method](operand).transpose(...this.array.dims);
  }

  /** The array plus a group result broadcast back along the grouped dim (or any array/number). */
  add(other: ArrayLike): LazyArray {
    return this.#arithmetic("add", other);
  }
  /** The array minus a group result: `g.sub(g.mean())` is the anomaly. */
  sub(other: ArrayLike): LazyArray {
    return this.#arithmetic("sub", other);
  }
  mul(other: ArrayLike): LazyArray {
    return this.#arithmetic("mul", other);
  }
  div(other: ArrayLike): LazyArray {
    return this.#arithmetic("div", other);
  }
}

/**
 * An array split into groups along a dim (`t.groupby("time.month")`), as xarray's GroupBy:
 * reductions give one element per group along the group dim, in place of the grouped dim;
 * arithmetic with a group result (`add`/`sub`/`mul`/`div`) broadcasts it back along the
 * grouped dim, so the anomaly is `g.sub(g.mean())`, in the array's dims and chunks.
 *
 * The groups are laid out as a gather (group × member, see `memberLayout`) that a streamed
 * reduction folds slab by slab: memory stays bounded whatever the axis length, and nothing
 * beyond blocks is materialised.
 *
 * @example
 * ```ts
 * const g = t.groupby("time.month");
 * const anomaly = g.sub(g.mean());
 * ```
 */
export class GroupBy extends GroupArithmetic {
  constructor(
    readonly array: LazyArray,
    readonly groups: Groups,
  ) {
    super();
  }

  /** The group dim's name (`month`, `season`, `x_bins`…). */
  get groupDim(): string {
    return this.groups.groupDim;
  }

  reduce(fn: string, options: ReduceOptions = {}): LazyArray {
    if (options.skipna === false)
      throw new InputError("groupby reductions skip NaN (skipna: false is not supported)");
    const a = this.array;
    const { dim, groupDim, groupOf, coord } = this.groups;
    const groupCount = coord.values.length;
    // empty groups (bins without values) are reduced out and put back as NaN, as xarray
    const present = new Int32Array(groupCount).fill(-1);
    let kept = 0;
    for (const g of groupOf) if (g >= 0 && present[g] < 0) present[g] = 1;
    for (let g = 0; g < groupCount; g++) if (present[g] > 0) present[g] = kept++;
    const compact = Int32Array.from(groupOf, (g) => (g < 0 ? -1 : present[g]));
    const { members, index } = memberLayout(compact, kept);
    const memberDim = `${groupDim}_member`;
    const dims = [memberDim, ...a.dims.map((d) => (d === dim ? groupDim : d))];
    const shape = [members, ...a.dims.map((d, i) => (d === dim ? kept : a.shape[i]))];
    const windows: Record<string, WindowAxis> = {
      [dim]: { outDim: groupDim, offset: 0, step: members, size: members, index, memberDim },
    };
    // padded members read as NaN, so the layout is float; integer results are cast back
    const layout = buildWindow(
      "gather",
      [{ built: a.built, windows }],
      dims,
      shape,
      isFloat(a.dtype) ? a.dtype : "float64",
      { fn: `groupby ${groupDim}` },
    );
    let built = buildReduce(fn, layout, [memberDim], options);
    // quantiles are float64 whatever the input, as xarray's
    const wanted = fn === "quantile" ? built.node.dtype : reducer(fn).dtype(a.dtype);
    if (wanted !== built.node.dtype) built = buildMap("identity", [built], [a.name], wanted);
    if (kept < groupCount) built = spread(built, groupDim, present, groupDim);
    const coords = { ...a.coords };
    delete coords[dim];
    coords[groupDim] = coord;
    return new LazyArray(built, coords, a.attrs, a.name);
  }

  /**
   * The `q` quantile of each group (linear interpolation between the two nearest values, as
   * numpy's default; NaN skipped), as xarray's `groupby(...).quantile(q)`.
   */
  quantile(q: number, options: ReduceOptions = {}): LazyArray {
    if (typeof q !== "number" || !(q >= 0 && q <= 1))
      throw new InputError(`groupby quantile: q must be one number in [0, 1], got ${String(q)}`);
    return this.reduce("quantile", { ...options, q });
  }

  /**
   * A group result (with the group dim) broadcast back along the grouped dim: element t takes
   * group groupOf[t]'s value, matched by the group coordinate when `result` has one.
   */
  broadcast(result: LazyArray): LazyArray {
    const { dim, groupDim, groupOf, coord } = this.groups;
    const n = result.sizeOf(groupDim);
    const theirs = result.coords[groupDim]?.values;
    if (!theirs && n !== coord.values.length)
      throw new InputError(
        `groupby: the result's "${groupDim}" has ${n} groups but there are ${coord.values.length}`,
      );
    const position = new Map(Array.from(theirs ?? coord.values, (v, i) => [v, i]));
    const at = Array.from(coord.values, (v) => position.get(v) ?? -1);
    const map = Int32Array.from(groupOf, (g) => (g < 0 ? -1 : at[g]));
    const built = spread(result.built, groupDim, map, dim);
    const coords = { ...result.coords };
    delete coords[groupDim];
    coords[dim] = this.array.coords[dim];
    return new LazyArray(built, coords, result.attrs, result.name);
  }
}

/**
 * `input` with dim `from` replaced by dim `to`, where element t of `to` is element
 * `positions[t]` of `from` (NaN where -1): a gather, no computation.
 */
function spread(input: Built, from: string, positions: Int32Array, to: string): Built {
  const node = input.node;
  const dims = node.dims.map((d) => (d === from ? to : d));
  const shape = node.dims.map((d, i) => (d === from ? positions.length : node.shape[i]));
  const windows: Record<string, WindowAxis> = {
    [from]: { outDim: to, offset: 0, step: 1, size: 1, index: [...positions] },
  };
  const dtype = isFloat(node.dtype) ? node.dtype : "float64";
  return buildWindow("gather", [{ built: input, windows }], dims, shape, dtype, {
    fn: "broadcast groups",
  });
}
