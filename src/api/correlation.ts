import type { LazyArray } from "./lazy-array.js";

/** Options of `cov`. */
export interface CovOptions {
  /** Delta degrees of freedom (default 1, as xarray's `cov`). */
  ddof?: number;
}

/**
 * The covariance (or, with `corr`, Pearson's correlation) of `a` and `b` along `dims` (all
 * when omitted), as xarray's `xr.cov`/`xr.corr`: only pairs where both are valid count; each
 * is demeaned over those pairs; cov = Σ (a - ā)(b - b̄) / (pairs - ddof), and corr = cov with
 * ddof 0 over the product of the two (ddof 0) standard deviations. Built from fused
 * reductions (the means shared by the blocks that subtract them).
 */
export function covariance(
  a: LazyArray,
  b: LazyArray,
  dims: string | string[] | undefined,
  corr: boolean,
  options: CovOptions = {},
): LazyArray {
  const ddof = corr ? 0 : (options.ddof ?? 1);
  const valid = a.notnull().and(b.notnull());
  const x = a.where(valid);
  const y = b.where(valid);
  const pairs = valid.sum(dims).sub(ddof);
  const product = x.sub(x.mean(dims)).mul(y.sub(y.mean(dims)));
  const cov = product.sum(dims, { minCount: 1 }).div(pairs);
  return corr ? cov.div(x.std(dims).mul(y.std(dims))) : cov;
}
