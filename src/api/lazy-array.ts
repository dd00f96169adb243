import type { Attrs } from "../array/chunked-array.js";
import { isDType, type DType } from "../array/dtype.js";
import { InputError } from "../util/errors.js";
import { alignOperands, joinOf } from "./align.js";
import { assignCoords, type CoordValues } from "./assign-coords.js";
import { buildMap, buildReduce, buildView, type Built, type ReduceOptions } from "./build.js";
import type { Coord } from "./coords.js";
import type { ComputeOptions } from "./compute.js";
import { GroupBy, groupsByBins, groupsByKey, type BinOptions } from "./groupby.js";
import { ArrayGroupBy, type ArrayGroupOptions } from "./groupby-array.js";
import { histogram, valueCounts, type HistogramOptions } from "./histogram.js";
import { interp, type InterpOptions, type InterpTargets } from "./interp.js";
import { roll, sortby, type RollShifts } from "./reorder.js";
import { Resample } from "./resample.js";
import { cumulative, type ScanOptions } from "./scan.js";
import { covariance, type CovOptions } from "./correlation.js";
import { diff, shift, type DiffOptions } from "./shift.js";
import { idxExtreme } from "./idx-extreme.js";
import { polyfit, polyval } from "./polyfit.js";
import { Weighted } from "./weighted.js";
import {
  dropWhereFalse,
  isel,
  sel,
  type IselKey,
  type SelKey,
  type WhereOptions,
} from "./select.js";
import type { SelectOptions, SelOptions } from "./selection.js";
import { coordinateArray, labelOperand, TimeFields } from "./time-fields.js";
import { mapBlocks, mapSlices, type KernelOptions } from "./user-kernels.js";
import { Coarsen, Rolling, type CoarsenOptions, type RollingOptions } from "./windows.js";

/** Something that can stand beside an array in arithmetic: another array or a number. */
export type ArrayLike = LazyArray | number;

/**
 * A lazy n-dimensional array with named dimensions, coordinates and attributes, like an
 * xarray DataArray backed by dask — but nothing is read until `load`, `compute` or `toZarr`.
 * Every method returns a new array; the graph behind it is plain data.
 *
 * @example
 * ```ts
 * const ds = await openDataset("eraint_uvz.nc");
 * const speed = ds.u.pow(2).add(ds.v.pow(2)).sqrt();
 * const zonal = ds.z.sel({ level: 500 }).mean("longitude");
 * const values = await zonal.load();
 * ```
 */
export class LazyArray {
  constructor(
    /** The node computing this array, with the graph it stands on. */
    readonly built: Built,
    /** 1-D coordinates of this array's dims, by dim name. */
    readonly coords: Readonly<Record<string, Coord>>,
    readonly attrs: Attrs = {},
    readonly name: string = "data",
    /** Output chunks asked for with `rechunk` (by dim). */
    readonly chunkHint: Readonly<Record<string, number>> = {},
  ) {}

  get dims(): readonly string[] {
    return this.built.node.dims;
  }
  get shape(): readonly number[] {
    return this.built.node.shape;
  }
  get dtype(): DType {
    return this.built.node.dtype;
  }
  get ndim(): number {
    return this.dims.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** Length of `dim`, or an error naming the dims there are. */
  sizeOf(dim: string): number {
    const i = this.dims.indexOf(dim);
    if (i < 0)
      throw new InputError(
        `${this.name}: no dimension ${JSON.stringify(dim)} (dimensions: ${this.dims.join(", ") || "none"})`,
      );
    return this.shape[i];
  }

  #derive(
    built: Built,
    coords: Record<string, Coord>,
    attrs: Attrs = {},
    name = this.name,
  ): LazyArray {
    const kept: Record<string, Coord> = {};
    for (const d of built.node.dims) if (coords[d]) kept[d] = coords[d];
    const hint: Record<string, number> = {};
    for (const [d, n] of Object.entries(this.chunkHint))
      if (built.node.dims.includes(d)) hint[d] = n;
    return new LazyArray(built, kept, attrs, name, hint);
  }

  /** Elementwise `fn` of this and `others`, broadcast by dim name (attrs dropped, as xarray). */
  #map(fn: string, others: ArrayLike[] = [], dtype?: DType): LazyArray {
    const operands = others.length ? alignOperands(fn, [this, ...others], joinOf(fn)) : [this];
    const built = buildMap(
      fn,
      operands.map((o) => (typeof o === "number" ? o : o.built)),
      operands.map((o) => (typeof o === "number" ? String(o) : o.name)),
      dtype,
    );
    const coords: Record<string, Coord> = {};
    for (const o of [...operands].reverse())
      if (typeof o !== "number") Object.assign(coords, o.coords);
    return this.#derive(built, coords);
  }

  add(other: ArrayLike): LazyArray {
    return this.#map("add", [other]);
  }
  sub(other: ArrayLike): LazyArray {
    return this.#map("sub", [other]);
  }
  mul(other: ArrayLike): LazyArray {
    return this.#map("mul", [other]);
  }
  div(other: ArrayLike): LazyArray {
    return this.#map("div", [other]);
  }
  /** Floor division, as numpy's `//`. */
  floordiv(other: ArrayLike): LazyArray {
    return this.#map("floordiv", [other]);
  }
  mod(other: ArrayLike): LazyArray {
    return this.#map("mod", [other]);
  }
  pow(other: ArrayLike): LazyArray {
    return this.#map("pow", [other]);
  }
  neg(): LazyArray {
    return this.#map("neg");
  }
  abs(): LazyArray {
    return this.#map("abs");
  }
  sqrt(): LazyArray {
    return this.#map("sqrt");
  }
  exp(): LazyArray {
    return this.#map("exp");
  }
  log(): LazyArray {
    return this.#map("log");
  }
  log10(): LazyArray {
    return this.#map("log10");
  }
  sin(): LazyArray {
    return this.#map("sin");
  }
  cos(): LazyArray {
    return this.#map("cos");
  }
  tan(): LazyArray {
    return this.#map("tan");
  }
  floor(): LazyArray {
    return this.#map("floor");
  }
  ceil(): LazyArray {
    return this.#map("ceil");
  }
  /** Rounds half to even, as numpy. */
  round(): LazyArray {
    return this.#map("round");
  }
  minimum(other: ArrayLike): LazyArray {
    return this.#map("minimum", [other]);
  }
  maximum(other: ArrayLike): LazyArray {
    return this.#map("maximum", [other]);
  }
  clip(min: ArrayLike, max: ArrayLike): LazyArray {
    return this.#map("clip", [min, max]);
  }
  gt(other: ArrayLike): LazyArray {
    return this.#map("gt", [other]);
  }
  ge(other: ArrayLike): LazyArray {
    return this.#map("ge", [other]);
  }
  lt(other: ArrayLike): LazyArray {
    return this.#map("lt", [other]);
  }
  le(other: ArrayLike): LazyArray {
    return this.#map("le", [other]);
  }
  /** Equal elementwise; a string compares with a labelled array (`t.time.dt.season.eq("JJA")`). */
  eq(other: ArrayLike | string): LazyArray {
    return this.#map("eq", [labelOperand(this, "eq", other)]);
  }
  ne(other: ArrayLike | string): LazyArray {
    return this.#map("ne", [labelOperand(this, "ne", other)]);
  }
  and(other: ArrayLike): LazyArray {
    return this.#map("and", [other]);
  }
  or(other: ArrayLike): LazyArray {
    return this.#map("or", [other]);
  }
  xor(other: ArrayLike): LazyArray {
    return this.#map("xor", [other]);
  }
  not(): LazyArray {
    return this.#map("not");
  }
  isnull(): LazyArray {
    return this.#map("isnull");
  }
  notnull(): LazyArray {
    return this.#map("notnull");
  }
  /**
   * Keeps values where `cond` is true, `other` (default NaN) elsewhere, as xarray's `where`;
   * with `drop`, labels where `cond` is false throughout are dropped (cond known now: built
   * from coordinates, as `t.time.dt.season.eq("JJA")`).
   */
  where(cond: ArrayLike, other: ArrayLike = NaN, options: WhereOptions = {}): LazyArray {
    // xarray aligns where(cond) by an inner join, but refuses different labels with `other`
    const join = typeof other === "number" && Number.isNaN(other) ? "inner" : "exact";
    const [self, c, o] = alignOperands("where", [this, cond, other], join);
    return (self as LazyArray).#where(c, o, options);
  }

  #where(cond: ArrayLike, other: ArrayLike, options: WhereOptions): LazyArray {
    const built = buildMap(
      "where",
      [cond, this, other].map((o) => (typeof o === "number" ? o : o.built)),
      [typeof cond === "number" ? "cond" : cond.name, this.name, String(other)],
    );
    const coords = {
      ...(typeof other === "number" ? {} : other.coords),
      ...(typeof cond === "number" ? {} : cond.coords),
      ...this.coords,
    };
    let kept = this.#derive(built, coords, this.attrs);
    // this array's dims first, as xarray (the map puts the condition's first)
    if (kept.dims.slice(0, this.ndim).join() !== this.dims.join())
      kept = kept.transpose(...this.dims);
    return options.drop ? dropWhereFalse(kept, cond) : kept;
  }

  /** Replaces NaN with `value`. */
  fillna(value: ArrayLike): LazyArray {
    return this.#map("fillna", [value]);
  }
  /** The values converted to `dtype` (floats to ints truncate toward zero). */
  astype(dtype: string): LazyArray {
    if (!isDType(dtype)) throw new InputError(`astype: unknown dtype "${dtype}"`);
    return this.#map("identity", [], dtype);
  }

  /**
   * Selects by position, as xarray's `isel`: an integer drops the dim; a slice (steps allowed),
   * a list of indices (negative from the end, any order) or a 1-D boolean mask keeps it. A
   * selection that leaves a dim empty is an error unless `allowEmpty`.
   */
  isel(selection: Record<string, IselKey>, options?: SelectOptions): LazyArray {
    return isel(this, selection, options);
  }

  /**
   * Selects by coordinate label, as xarray's `sel`: a label drops the dim; a slice of labels
   * (inclusive at both ends), a list of labels or a boolean mask keeps it. Dates are strings
   * naming their period: `"2003"` is the whole year, `slice("2002-03", "2002-05")` March to
   * the end of May, in the coordinate's calendar. `method: "nearest"` (or `pad`, `backfill`)
   * with `tolerance` picks close labels.
   */
  sel(selection: Record<string, SelKey>, options?: SelOptions): LazyArray {
    return sel(this, selection, options);
  }

  /** A 1-D coordinate as an array in memory, as xarray's `t.time` (in expressions: `t.time`). */
  coord(name: string): LazyArray {
    return coordinateArray(this, name);
  }

  /** Time fields of a time coordinate, as xarray's `.dt`: `t.coord("time").dt.month`. */
  get dt(): TimeFields {
    return new TimeFields(this);
  }

  /** Reorders the dims (all of them, or `...` style: the given ones first). */
  transpose(...order: string[]): LazyArray {
    for (const d of order) this.sizeOf(d);
    const dims = [...order, ...this.dims.filter((d) => !order.includes(d))];
    const shape = dims.map((d) => this.sizeOf(d));
    const axes = dims.map((d) => ({ inDim: d, start: 0, step: 1 }));
    return this.#derive(
      buildView(this.built, dims, shape, axes, {}),
      { ...this.coords },
      this.attrs,
    );
  }

  /** Drops dims of length 1 (all, or the ones named). */
  squeeze(...which: string[]): LazyArray {
    for (const d of which)
      if (this.sizeOf(d) !== 1)
        throw new InputError(`squeeze: dimension "${d}" has length ${this.sizeOf(d)}, not 1`);
    const drop = which.length ? which : this.dims.filter((_, i) => this.shape[i] === 1);
    return this.isel(Object.fromEntries(drop.map((d) => [d, 0])));
  }

  /** Repeats the array along new dims (given with their lengths), placed first. */
  expandDims(newDims: Record<string, number>): LazyArray {
    const added = Object.keys(newDims);
    for (const d of added) {
      if (this.dims.includes(d)) throw new InputError(`expandDims: "${d}" is already a dimension`);
      const n = newDims[d];
      if (!(Number.isSafeInteger(n) && n >= 0))
        throw new InputError(`expandDims: length ${n} of "${d}" must be a non-negative integer`);
    }
    const dims = [...added, ...this.dims];
    const shape = [...added.map((d) => newDims[d]), ...this.shape];
    const axes = dims.map((d) => (added.includes(d) ? undefined : { inDim: d, start: 0, step: 1 }));
    return this.#derive(
      buildView(this.built, dims, shape, axes, {}),
      { ...this.coords },
      this.attrs,
    );
  }

  #reduce(fn: string, dims: string | string[] | undefined, options: ReduceOptions = {}): LazyArray {
    const over = dims === undefined ? [] : Array.isArray(dims) ? dims : [dims];
    for (const d of over) this.sizeOf(d);
    return this.#derive(buildReduce(fn, this.built, over, options), { ...this.coords });
  }

  /** Sum over `dims` (all when omitted); NaN skipped on floats. */
  sum(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("sum", dims, options);
  }
  mean(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("mean", dims, options);
  }
  min(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("min", dims, options);
  }
  max(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("max", dims, options);
  }
  prod(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("prod", dims, options);
  }
  /** Standard deviation with `ddof` (default 0, as xarray). */
  std(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("std", dims, options);
  }
  var(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("var", dims, options);
  }
  /** Number of non-NaN values. */
  count(dims?: string | string[]): LazyArray {
    return this.#reduce("count", dims);
  }
  median(dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("median", dims, options);
  }
  /** The `q` quantile (linear interpolation, as numpy's default). */
  quantile(q: number, dims?: string | string[], options?: ReduceOptions): LazyArray {
    return this.#reduce("quantile", dims, { ...options, q });
  }
  /** Index of the minimum along one dim. */
  argmin(dim: string, options?: ReduceOptions): LazyArray {
    return this.#reduce("argmin", dim, options);
  }
  argmax(dim: string, options?: ReduceOptions): LazyArray {
    return this.#reduce("argmax", dim, options);
  }
  /** The coordinate label of the minimum along `dim` (NaN skipped), as xarray's `idxmin`. */
  idxmin(dim: string, options?: ReduceOptions): LazyArray {
    return idxExtreme(this, "argmin", dim, options);
  }
  /** The coordinate label of the maximum along `dim` (NaN skipped), as xarray's `idxmax`. */
  idxmax(dim: string, options?: ReduceOptions): LazyArray {
    return idxExtreme(this, "argmax", dim, options);
  }
  any(dims?: string | string[]): LazyArray {
    return this.#reduce("any", dims);
  }
  all(dims?: string | string[]): LazyArray {
    return this.#reduce("all", dims);
  }

  /** Cumulative sum along `dim`, as xarray's `cumsum` (NaN counts as 0 on floats); see scan.ts. */
  cumsum(dim: string, options?: ScanOptions): LazyArray {
    return cumulative(this, "sum", dim, options);
  }
  /** Cumulative product along `dim`, as xarray's `cumprod` (NaN counts as 1 on floats). */
  cumprod(dim: string, options?: ScanOptions): LazyArray {
    return cumulative(this, "prod", dim, options);
  }

  /** Moved by k positions along dims, NaN where nothing moves in, as xarray's `shift({ time: 1 })`. */
  shift(shifts: Record<string, number>): LazyArray {
    return shift(this, shifts);
  }
  /** The n-th difference along `dim`, as xarray's `diff` (upper labels by default). */
  diff(dim: string, n?: number, options?: DiffOptions): LazyArray {
    return diff(this, dim, n, options);
  }

  /** Weighted reductions, as xarray's `weighted`: `a.weighted(w).mean(["lat", "lon"])` (see weighted.ts). */
  weighted(weights: LazyArray): Weighted {
    if (!(weights instanceof LazyArray))
      throw new InputError(`weighted: the weights must be an array, got ${typeof weights}`);
    return new Weighted(this, weights);
  }

  /** Covariance with `other` along dims (ddof 1), as `xr.cov(a, b, dim)`; `cov(a, b, dim)` in expressions. */
  cov(other: LazyArray, dims?: string | string[], options?: CovOptions): LazyArray {
    return covariance(this, other, dims, false, options);
  }
  /** Pearson's correlation with `other` along dims, as `xr.corr(a, b, dim)` (pairs valid in both). */
  corr(other: LazyArray, dims?: string | string[]): LazyArray {
    return covariance(this, other, dims, true);
  }

  /** Least-squares polynomial coefficients along `dim`, a `degree` dim first (highest first), as xarray's `polyfit`. */
  polyfit(dim: string, deg: number): LazyArray {
    return polyfit(this, dim, deg);
  }
  /** The polynomial `coeffs` (from `polyfit`) at this array's values, as `xr.polyval(this, coeffs)`. */
  polyval(coeffs: LazyArray): LazyArray {
    return polyval(this, coeffs);
  }

  /** The same values, to be written with these chunks (per dim; others keep theirs). */
  rechunk(chunks: Record<string, number>): LazyArray {
    for (const [d, n] of Object.entries(chunks)) {
      this.sizeOf(d);
      if (!(Number.isInteger(n) && n > 0))
        throw new InputError(`rechunk: chunk size ${n} for "${d}" must be a positive integer`);
    }
    return new LazyArray(this.built, this.coords, this.attrs, this.name, {
      ...this.chunkHint,
      ...chunks,
    });
  }

  /** Alias of `rechunk`, as xarray's `chunk`. */
  chunk(chunks: Record<string, number>): LazyArray {
    return this.rechunk(chunks);
  }

  /** The same array under another name. */
  rename(name: string): LazyArray {
    return new LazyArray(this.built, this.coords, this.attrs, name, this.chunkHint);
  }

  /** Rolled along dims, as xarray's `roll`: `t.roll({ lon: 180, rollCoords: true })` (see reorder.ts). */
  roll(shifts: RollShifts): LazyArray {
    return roll(this, shifts);
  }

  /** Sorted along the dims of coordinates by their labels, as xarray's `sortby` (see reorder.ts). */
  sortby(keys: string | string[], ascending = true): LazyArray {
    return sortby(this, keys, ascending);
  }

  /** New labels along dims, as xarray's `assign_coords` (see assign-coords.ts). */
  assignCoords(coords: Record<string, CoordValues>): LazyArray {
    return assignCoords(this, coords);
  }

  /** Moving windows along dims, as xarray's `rolling`: `a.rolling({ time: 7 }).mean()`. */
  rolling(windows: Record<string, number>, options?: RollingOptions): Rolling {
    return new Rolling(this, windows, options);
  }

  /** Blocks of k along dims, as xarray's `coarsen`: `a.coarsen({ lat: 2, lon: 2 }).mean()`. */
  coarsen(windows: Record<string, number>, options?: CoarsenOptions): Coarsen {
    return new Coarsen(this, windows, options);
  }

  /**
   * Groups by `"time.month"` (season, dayofyear, year, hour, dayofweek…) or a 1-D coordinate's
   * name, as xarray's `groupby` — or by a label array over some of the dims (zonal
   * statistics), with its labels: `t.groupby(basins, { labels })` (see groupby-array.ts).
   */
  groupby(key: string): GroupBy;
  groupby(key: LazyArray, options: ArrayGroupOptions): ArrayGroupBy;
  groupby(key: string | LazyArray, options?: ArrayGroupOptions): GroupBy | ArrayGroupBy {
    if (key instanceof LazyArray) return new ArrayGroupBy(this, key, options!);
    return new GroupBy(this, groupsByKey(this, key));
  }

  /** Groups by bins of a 1-D coordinate, as xarray's `groupby_bins`. */
  groupbyBins(key: string, bins: readonly number[], options?: BinOptions): GroupBy {
    return new GroupBy(this, groupsByBins(this, key, bins, options));
  }

  /** Time bins, as xarray's `resample`: `t.resample({ time: "MS" }).mean()`. */
  resample(frequency: Record<string, string>): Resample {
    return new Resample(this, frequency);
  }

  /** Values at new coordinates (linear or nearest, NaN outside), as xarray's `interp`. */
  interp(targets: Record<string, InterpTargets>, options?: InterpOptions): LazyArray {
    return interp(this, targets, options);
  }

  /** Counts per bin over all dims or along some (numpy's rules), a `bin` dim last. */
  histogram(options: HistogramOptions): LazyArray {
    return histogram(this, options);
  }

  /** The distinct values of an integer or categorical array and their counts (computed now). */
  valueCounts(options?: ComputeOptions): Promise<{ values: Float64Array; counts: Float64Array }> {
    return valueCounts(this, options);
  }

  /** A kernel exported by a module file, run on each block (see `mapBlocks` in user-kernels.ts). */
  mapBlocks(file: string, name: string, options?: Pick<KernelOptions, "dtype">): LazyArray {
    return mapBlocks(this, file, name, options);
  }

  /** A kernel exported by a module file, run on whole slices along `options.dims` (see `mapSlices`). */
  mapSlices(file: string, name: string, options: KernelOptions): LazyArray {
    return mapSlices(this, file, name, options);
  }
}
