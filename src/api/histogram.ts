import { isFloat, isInteger } from "../array/dtype.js";
import type { WindowAxis } from "../core/graph.js";
import { InputError } from "../util/errors.js";
import { compute, type ComputeOptions } from "./compute.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

/** Options of `histogram`. */
export interface HistogramOptions {
  /** A number of equal bins over `range`, or the bin edges (ascending). */
  bins: number | readonly number[];
  /** [min, max] for a number of bins (required with a count: a lazy array's extent is not known). */
  range?: readonly [number, number];
  /** Dims to count over (default all); the others stay, the `bin` dim comes last. */
  dims?: string | readonly string[];
}

/**
 * Counts of values per bin, as numpy's `histogram` (bins [a, b), the last one closed; NaN
 * and values outside not counted), over the whole array or along `dims`. Streams its input
 * in slabs: memory does not grow with the counted extent. The `bin` coordinate holds bin
 * centres, `attrs.bin_edges` the edges.
 *
 * @example
 * ```ts
 * const h = await z.histogram({ bins: 50, range: [45000, 60000] }).load();
 * ```
 */
export function histogram(array: LazyArray, options: HistogramOptions): LazyArray {
  const edges = binEdges(options);
  const over =
    options.dims === undefined
      ? [...array.dims]
      : typeof options.dims === "string"
        ? [options.dims]
        : [...options.dims];
  for (const d of over) array.sizeOf(d);
  if (array.dims.includes("bin"))
    throw new InputError(`histogram: ${array.name} already has a dimension "bin"`);
  const windows: Record<string, WindowAxis> = Object.fromEntries(over.map((d) => [d, {}]));
  const kept = array.dims.filter((d) => !over.includes(d));
  const dims = [...kept, "bin"];
  const shape = [...kept.map((d) => array.sizeOf(d)), edges.length - 1];
  const built = buildWindow("histogram", [{ built: array.built, windows }], dims, shape, "int64", {
    fn: "histogram",
    edges,
    wholeDims: ["bin"],
  });
  const centres = Float64Array.from(edges.slice(1), (e, i) => (edges[i] + e) / 2);
  const coords = Object.fromEntries(Object.entries(array.coords).filter(([d]) => kept.includes(d)));
  coords.bin = { dim: "bin", values: centres, attrs: { bin_edges: edges } };
  return new LazyArray(built, coords, {}, `${array.name}_histogram`);
}

function binEdges({ bins, range }: HistogramOptions): number[] {
  if (typeof bins !== "number") {
    const edges = [...bins];
    if (edges.length < 2 || edges.some((e, i) => i > 0 && !(e > edges[i - 1])))
      throw new InputError("histogram: bin edges must be at least two increasing numbers");
    return edges;
  }
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new InputError(`histogram: bins ${bins} must be a positive integer or a list of edges`);
  if (!range || !(range[1] >= range[0]))
    throw new InputError("histogram: a bin count needs range [min, max] (or give the bin edges)");
  const [lo, hi] = range[0] === range[1] ? [range[0] - 0.5, range[1] + 0.5] : range;
  return Array.from({ length: bins + 1 }, (_, i) =>
    i === bins ? hi : lo + ((hi - lo) * i) / bins,
  );
}

/** Distinct values fewer than this are counted in one histogram pass. */
const MAX_DISTINCT_RANGE = 1 << 24;

/**
 * The distinct values of an integer (or categorical, integer-valued) array and how often each
 * occurs, as `numpy.unique(a, return_counts=True)` (NaN left out). Two passes: the extent,
 * then one unit bin per possible value.
 */
export async function valueCounts(
  array: LazyArray,
  options: ComputeOptions = {},
): Promise<{ values: Float64Array; counts: Float64Array }> {
  if (!(isInteger(array.dtype) || array.dtype === "bool" || isFloat(array.dtype)))
    throw new InputError(
      `valueCounts: ${array.name} has dtype ${array.dtype}, not integers or categories`,
    );
  const checks = [array.min(), array.max()];
  if (isFloat(array.dtype)) checks.push(array.ne(array.round()).and(array.notnull()).any());
  const [min, max, fractional] = await compute(checks, options);
  if (fractional?.data[0])
    throw new InputError(`valueCounts: ${array.name} holds non-integer values; use histogram`);
  const lo = min.data[0];
  const hi = max.data[0];
  if (!(lo <= hi)) return { values: new Float64Array(0), counts: new Float64Array(0) };
  if (hi - lo + 1 > MAX_DISTINCT_RANGE)
    throw new InputError(
      `valueCounts: ${array.name} spans ${hi - lo + 1} possible values (${lo} … ${hi}); use histogram`,
    );
  const edges = Array.from({ length: hi - lo + 2 }, (_, i) => lo - 0.5 + i);
  const [h] = await compute([histogram(array, { bins: edges })], options);
  const values: number[] = [];
  const counts: number[] = [];
  h.data.forEach((c, i) => {
    if (c > 0) {
      values.push(lo + i);
      counts.push(c);
    }
  });
  return { values: Float64Array.from(values), counts: Float64Array.from(counts) };
}
