import type { OracleInput } from "./xarray-eval.js";

/** An expression for `dae run` / evaluateExpression and the same computation in xarray. */
export interface ExpressionCase {
  dae: string;
  xarray: string;
  /** Absolute tolerance on top of the relative 1e-5 (differences of nearly equal values). */
  atol?: number;
}

/** The inputs of the single-file cases: eraint_uvz.nc, variables in scope by name. */
export const singleInput = (fixtures: string): OracleInput[] => [
  { path: `${fixtures}/eraint_uvz.nc` },
];

/** Reductions, label and position selections, broadcasting, arithmetic on one file. */
export const singleCases: ExpressionCase[] = [
  { dae: 'z.sel({level: 500}).mean("month")', xarray: 'z.sel(level=500).mean("month")' },
  { dae: 'u.std(["latitude", "longitude"])', xarray: 'u.std(["latitude", "longitude"])' },
  { dae: 'v.median("longitude").isel({level: 0})', xarray: 'v.median("longitude").isel(level=0)' },
  {
    dae: 'z.quantile(0.9, "latitude")',
    xarray: 'z.quantile(0.9, "latitude").drop_vars("quantile")',
  },
  { dae: "z.mean()", xarray: "z.mean()" },
  {
    dae: 'z.isel({latitude: slice(0, 100, 3), longitude: slice(-50, null)}).max("month")',
    xarray: 'z.isel(latitude=slice(0, 100, 3), longitude=slice(-50, None)).max("month")',
  },
  {
    dae: 'z.sel({latitude: slice(60, 30), longitude: slice(-10, 20)}).mean(["latitude", "longitude"])',
    xarray:
      'z.sel(latitude=slice(60, 30), longitude=slice(-10, 20)).mean(["latitude", "longitude"])',
  },
  {
    dae: 'z.sel({latitude: 45.3, longitude: 10.1}, {method: "nearest"})',
    xarray:
      'z.sel(latitude=45.3, longitude=10.1, method="nearest").drop_vars(["latitude", "longitude"])',
  },
  // anomalies: values near zero carry the mean's rounding (1e-11 of 1e5)
  { dae: 'z - z.mean("longitude")', xarray: 'z - z.mean("longitude")', atol: 1e-6 },
  { dae: "(u ** 2 + v ** 2) ** 0.5", xarray: "(u ** 2 + v ** 2) ** 0.5" },
  { dae: 'where(u > 0, u, 0).sum("month") / 2', xarray: 'xr.where(u > 0, u, 0).sum("month") / 2' },
];

/** Methods returning other API objects (Rolling, Coarsen, GroupBy), reached by generic dispatch. */
export const windowCases: ExpressionCase[] = [
  { dae: "z.rolling({longitude: 5}).mean()", xarray: "z.rolling(longitude=5).mean()" },
  { dae: "u.coarsen({longitude: 4}).max()", xarray: "u.coarsen(longitude=4).max()" },
  {
    dae: 'z.groupbyBins("latitude", [-90, -30, 30, 90]).mean()',
    xarray: 'z.groupby_bins("latitude", [-90, -30, 30, 90]).mean()',
  },
  {
    dae: 'v.groupbyBins("latitude", [-91, 0, 90]) - v.groupbyBins("latitude", [-91, 0, 90]).mean()',
    xarray:
      'v.groupby_bins("latitude", [-91, 0, 90]) - v.groupby_bins("latitude", [-91, 0, 90]).mean()',
    atol: 1e-9,
  },
];

/** The two inputs whose chunks do not line up: Zarr (1×3×100×100) and NetCDF-4 (1×1×121×240). */
export const pairInputs = (fixtures: string): OracleInput[] => [
  { name: "a", path: `${fixtures}/eraint_uvz.zarr` },
  { name: "b", path: `${fixtures}/eraint_uvz_nc4.nc` },
];

export const pairCases: ExpressionCase[] = [
  // the same data through two decoders: differences are float32 rounding, near zero
  { dae: "a.z - b.z", xarray: "a.z - b.z", atol: 1e-6 },
  {
    dae: '(a.z - b.z).std(["latitude", "longitude"])',
    xarray: '(a.z - b.z).std(["latitude", "longitude"])',
    atol: 1e-9,
  },
  { dae: 'a.z - b.z.mean("month")', xarray: 'a.z - b.z.mean("month")' },
];
