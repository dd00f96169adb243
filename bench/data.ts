import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { WorkloadParams } from "./sizes.js";

/** Debian's python with xarray, dask, zarr 2, numcodecs and netCDF4 (scripts/setup-system.sh). */
export const PYTHON = "/usr/bin/python3";

/** Written last into a data folder: the parameters it was written with. */
const MARKER = "COMPLETE.json";

/** Bumped when the generator changes, so stale caches are rewritten. */
const DATA_VERSION = 1;

/** What make_data.py writes (each only when missing). */
const DATA_FILES = ["a.zarr", "b.zarr", "a.nc", "mask.zarr"];

/**
 * The benchmark inputs for one size in `dir` (a.zarr, b.zarr, a.nc), written by
 * bench/py/make_data.py with xarray + dask + zarr 2 unless a complete copy with the same
 * parameters is there already. Completeness is a marker written last.
 */
export function ensureData(
  dir: string,
  params: WorkloadParams,
  pyDir: string,
  log: (s: string) => void,
): void {
  const marker = path.join(dir, MARKER);
  const want = JSON.stringify({ version: DATA_VERSION, params });
  const current = existsSync(marker) && readFileSync(marker, "utf8") === want;
  // files added to the suite later (W9's mask.zarr) are written beside current data
  if (current && DATA_FILES.every((f) => existsSync(path.join(dir, f)))) return;
  mkdirSync(dir, { recursive: true });
  // a marker for other parameters means every file here is stale
  if (existsSync(marker) && !current)
    for (const f of readdirSync(dir)) spawnSync("rm", ["-rf", path.join(dir, f)]);
  log(
    `writing the ${params.shape.join(" × ")} float32 cube to ${dir} with xarray + dask (once; reused later)`,
  );
  const t0 = Date.now();
  const r = spawnSync(PYTHON, [path.join(pyDir, "make_data.py"), dir, JSON.stringify(params)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0)
    throw new Error(
      `make_data.py failed (exit ${r.status ?? r.signal}): is ${PYTHON} with xarray, dask, zarr and netCDF4 installed? (scripts/setup-system.sh)`,
    );
  writeFileSync(marker, want);
  log(`  written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The parameters a complete data folder was written with. */
export function readParams(dir: string): WorkloadParams {
  const file = path.join(dir, MARKER);
  if (!existsSync(file))
    throw new Error(`${dir}: no complete bench data here (run npm run bench first)`);
  return (JSON.parse(readFileSync(file, "utf8")) as { params: WorkloadParams }).params;
}

/** Bytes under a file or folder. */
export function diskBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + diskBytes(path.join(p, f)), 0);
}
