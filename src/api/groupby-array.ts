import { floatOf, isFloat } from "../array/dtype.js";
import type { WindowAxis } from "../core/graph.js";
import { ZONAL } from "../core/kernels/zonal.js";
import { InputError } from "../util/errors.js";
import type { ReduceOptions } from "./build.js";
import type { ComputeOptions } from "./compute.js";
import type { Coord } from "./coords.js";
import { GroupArithmetic } from "./groupby.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

/** Options of grouping by an array. */
export interface ArrayGroupOptions {
  /**
   * The group labels (the distinct values of the label array, NaN and fill values left out):
   * the result's shape depends on them, so they are given, or found with `groupLabels`.
   */
  labels: readonly number[];
}

/**
 * The distinct finite values of a label array, sorted (computed now): what
 * `a.groupby(regions, { labels })` needs, as xarray finds them.
 *
 * @example
 * ```ts
 * const zonal = t.groupby(basins, { labels: await groupLabels(basins) }).mean();
 * ```
 */
export async function groupLabels(labels: LazyArray, options?: ComputeOptions): Promise<number[]> {
  const { values } = await labels.valueCounts(options);
  return Array.from(values).filter((v) => Number.isFinite(v));
}

/**
 * An array grouped by the values of a label array over some of its dims (zonal statistics:
 * basins, countries, land-cover classes), as xarray's `da.groupby(labels_array)`: reductions
 * over the label array's dims give one value per label along a dim named after the label
 * array, placed last; arithmetic with such a result spreads it back over the label map
 * (`g.sub(g.mean())`). One streaming pass per reduction (kernels/zonal.ts): memory per block is
 * a slab of the array and one value per label and kept element, whatever the map's size.
 */
export class ArrayGroupBy extends GroupArithmetic {
  readonly labels: number[];
  constructor(
    readonly array: LazyArray,
    readonly by: LazyArray,
    options: ArrayGroupOptions,
  ) {
    super();
    for (const [i, d] of by.dims.entries())
      if (array.sizeOf(d) !== by.shape[i])
        throw new InputError(
          `groupby: dimension "${d}" has size ${array.sizeOf(d)} in ${array.name} but ${by.shape[i]} in the labels ${by.name}`,
        );
    if (array.dims.includes(by.name) || by.dims.includes(by.name))
      throw new InputError(
        `groupby: the labels' name "${by.name}" is already a dimension: rename them`,
      );
    const labels = options?.labels;
    if (!Array.isArray(labels) || labels.length === 0 || !labels.every(Number.isFinite))
      throw new InputError(
        `groupby by an array needs its labels: groupby(${by.name}, {labels: [1, 2, …]}) (library: await groupLabels(${by.name}))`,
      );
    this.labels = [...new Set(labels)].sort((a, b) => a - b);
  }

  /** The group dim: the label array's name. */
  get groupDim(): string {
    return this.by.name;
  }

  reduce(fn: string, options: ReduceOptions = {}): LazyArray {
    if (!ZONAL.has(fn))
      throw new InputError(
        `groupby by an array: ${fn} is not supported (supported: ${[...ZONAL].join(", ")})`,
      );
    if (options.skipna === false)
      throw new InputError("groupby reductions skip NaN (skipna: false is not supported)");
    const a = this.array;
    const windows: Record<string, WindowAxis> = Object.fromEntries(
      this.by.dims.map((d) => [d, {}]),
    );
    const rest = a.dims.filter((d) => !this.by.dims.includes(d));
    const dtype =
      fn === "count"
        ? "int64"
        : fn === "min" || fn === "max"
          ? isFloat(a.dtype)
            ? a.dtype
            : "float64"
          : floatOf(a.dtype);
    const built = buildWindow(
      "zonal",
      [
        { built: a.built, windows },
        { built: this.by.built, windows },
      ],
      [...rest, this.groupDim],
      [...rest.map((d) => a.sizeOf(d)), this.labels.length],
      fn === "sum" && isFloat(a.dtype) ? a.dtype : dtype,
      { fn, labels: this.labels, ddof: options.ddof ?? 0 },
    );
    const coords: Record<string, Coord> = {};
    for (const d of rest) if (a.coords[d]) coords[d] = a.coords[d];
    coords[this.groupDim] = {
      dim: this.groupDim,
      values: Float64Array.from(this.labels),
      attrs: {},
    };
    return new LazyArray(built, coords, a.attrs, a.name);
  }

  /** A per-label result (the group dim last, as the reductions give) spread back over the label map. */
  broadcast(result: LazyArray): LazyArray {
    const n = result.sizeOf(this.groupDim);
    const theirs = result.coords[this.groupDim]?.values;
    if (theirs ? theirs.join() !== this.labels.join() : n !== this.labels.length)
      throw new InputError(
        `groupby: the result's "${this.groupDim}" labels are not the groups' (${this.labels.join(", ")})`,
      );
    const dims = [
      ...result.dims.filter((d) => d !== this.groupDim),
      ...this.by.dims.filter((d) => !result.dims.includes(d)),
    ];
    const shape = dims.map((d) => (result.dims.includes(d) ? result.sizeOf(d) : this.by.sizeOf(d)));
    const built = buildWindow(
      "zonal-broadcast",
      [
        { built: result.built, windows: { [this.groupDim]: {} } },
        { built: this.by.built, windows: {} },
      ],
      dims,
      shape,
      isFloat(result.dtype) ? result.dtype : "float64",
      { fn: `broadcast ${this.groupDim}`, labels: this.labels, groupDim: this.groupDim },
    );
    const coords: Record<string, Coord> = {};
    for (const d of dims) {
      const c = result.coords[d] ?? this.array.coords[d];
      if (c) coords[d] = c;
    }
    return new LazyArray(built, coords, result.attrs, result.name);
  }
}
