import { InputError } from "../util/errors.js";
import { joinLabels, JOINS, type Join, type JoinSide } from "./label-join.js";
import { LazyArray, type ArrayLike } from "./lazy-array.js";
import { reindex } from "./reindex.js";

/** Options of `align`. */
export interface AlignOptions {
  /** How labels of a shared dim combine (default `inner`, as xarray's arithmetic). */
  join?: Join;
}

/**
 * The join xarray uses when elementwise function `fn` combines arrays: `left` for `fillna`
 * (the array keeps its labels), `exact` for `clip` and for `where` with an explicit `other`
 * (xarray refuses different labels there), `inner` for arithmetic, comparisons,
 * `minimum`/`maximum` and `where(cond)`.
 */
export function joinOf(fn: string): Join {
  return fn === "fillna" ? "left" : fn === "clip" ? "exact" : "inner";
}

/**
 * `operands` aligned by the labels of the dims they share (numbers pass through): each array
 * is reindexed to the joined labels of each shared dim (see `joinLabels` and `reindexBuilt`:
 * a view or a gather, never a copy). Arrays whose labels already agree come back as they
 * are, so equal coordinates add no node. `what` names the operation in errors.
 */
export function alignOperands(what: string, operands: ArrayLike[], join: Join): ArrayLike[] {
  const out = [...operands];
  const arrays = () =>
    out.flatMap((o, i) => (o instanceof LazyArray ? [{ a: o, i }] : ([] as never[])));
  const dims = new Set(arrays().flatMap(({ a }) => a.dims));
  for (const dim of dims) {
    const holders = arrays().filter(({ a }) => a.dims.includes(dim));
    if (holders.length < 2) continue;
    const sides: JoinSide[] = holders.map(({ a }) => ({
      coord: a.coords[dim],
      length: a.sizeOf(dim),
      name: a.name,
    }));
    const joined = joinLabels(what, dim, sides, join);
    if (!joined) continue;
    holders.forEach(({ a, i }, k) => {
      const positions = joined.positions[k];
      if (!positions) return;
      out[i] = reindex(a, dim, positions, joined.coord);
    });
  }
  return out;
}

/**
 * Arrays aligned by coordinate labels, as xarray's `align`: every dim two or more of them
 * share gets the same labels in all, joined as `join` says (`inner` by default; `outer`,
 * `left` and `right` fill missing labels with NaN, integers becoming float64; `exact`
 * refuses different labels). Nothing is read: a reversed or offset axis is a view, a
 * permutation a gather.
 *
 * @example
 * ```ts
 * const [t2, mask2] = align(t, mask, { join: "inner" });
 * const land = t2.where(mask2.eq(1));
 * ```
 */
export function align(...args: (LazyArray | AlignOptions)[]): LazyArray[] {
  const last = args[args.length - 1];
  const options = last && !(last instanceof LazyArray) ? (last as AlignOptions) : {};
  const arrays = args.filter((a): a is LazyArray => a instanceof LazyArray);
  if (arrays.length + (last === options ? 1 : 0) !== args.length)
    throw new InputError("align: arguments must be arrays, then at most one options object");
  const join = options.join ?? "inner";
  if (!JOINS.includes(join))
    throw new InputError(`align: unknown join "${join}" (joins: ${JOINS.join(", ")})`);
  return alignOperands("align", arrays, join) as LazyArray[];
}
