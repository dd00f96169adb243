import { isFloat } from "../array/dtype.js";
import { InputError } from "../util/errors.js";
import type { LazyArray } from "./lazy-array.js";

/**
 * Weighted reductions, as xarray's `da.weighted(w)`: the weights broadcast by dim name, and
 * count only where the data are valid — a weighted mean is Σ w·x over valid x divided by
 * Σ w over valid x (NaN where that is 0). NaN weights give NaN (xarray refuses them; they
 * cannot be seen before computing). Each reduction is an ordinary fused sum over the
 * product, so it streams in bounded memory like any other; `var`/`std` subtract the weighted
 * mean first, as xarray does (two passes, the mean shared by the blocks).
 *
 * @example
 * ```ts
 * const w = ds.vars.lat.mul(Math.PI / 180).cos();
 * const global = t.weighted(w).mean(["lat", "lon"]);
 * ```
 */
export class Weighted {
  constructor(
    readonly array: LazyArray,
    readonly weights: LazyArray,
  ) {}

  /** The reduced dims: those given (each a dim of the data or the weights), or all of both. */
  #dims(dims: string | string[] | undefined): string[] {
    const all = [...new Set([...this.array.dims, ...this.weights.dims])];
    const list = dims === undefined ? all : Array.isArray(dims) ? dims : [dims];
    for (const d of list)
      if (!all.includes(d))
        throw new InputError(
          `weighted: no dimension "${d}" in ${this.array.name} or its weights (dimensions: ${all.join(", ")})`,
        );
    return list;
  }

  /** Σ w·x over `dims`: x's NaN count as 0 (floats, as xarray's default skipna). */
  #dot(x: LazyArray, dims: string[]): LazyArray {
    const filled = isFloat(x.dtype) ? x.fillna(0) : x;
    return filled.mul(this.weights).sum(dims, { skipna: false });
  }

  /** Σ w over the valid values of the data (NaN where it is 0), as xarray's `sum_of_weights`. */
  sumOfWeights(dims?: string | string[]): LazyArray {
    const sum = this.#dot(this.array.notnull(), this.#dims(dims));
    return sum.where(sum.ne(0)).rename(this.array.name);
  }

  /** Σ w·x over `dims` (all when omitted). */
  sum(dims?: string | string[]): LazyArray {
    return this.#dot(this.array, this.#dims(dims)).rename(this.array.name);
  }

  /** The weighted mean: Σ w·x / Σ w, both over valid x only. */
  mean(dims?: string | string[]): LazyArray {
    return this.sum(dims).div(this.sumOfWeights(dims));
  }

  /** The weighted variance: Σ w·(x - mean)² / Σ w, over valid x (ddof 0, as xarray). */
  var(dims?: string | string[]): LazyArray {
    const demeaned = this.array.sub(this.mean(dims));
    return this.#dot(demeaned.mul(demeaned), this.#dims(dims))
      .div(this.sumOfWeights(dims))
      .rename(this.array.name);
  }

  /** The weighted standard deviation, the square root of `var`. */
  std(dims?: string | string[]): LazyArray {
    return this.var(dims).sqrt();
  }
}
