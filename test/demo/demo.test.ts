import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import { dae, python, tempDir } from "../helpers.js";

/** Distinct colours among the pixels of a decoded PNG. */
function colours(png: PNG): number {
  const seen = new Set<number>();
  for (let o = 0; o < png.data.length; o += 4)
    seen.add((png.data[o] << 16) | (png.data[o + 1] << 8) | png.data[o + 2]);
  return seen.size;
}

test("dae demo --size small: results equal xarray's on the demo's own input, pictures are real", (t) => {
  const dir = path.join(tempDir(t), "demo");
  const r = dae([
    "demo",
    "--out",
    dir,
    "--size",
    "small",
    "--zarr-format",
    "2",
    "--memory",
    "256MB",
  ]);
  assert.equal(r.code, 0, r.stderr);
  // the report: what ran, bytes, peak memory against the budget, where the files are
  assert.match(
    r.stdout,
    /^dae demo: synthetic daily 2 m air temperature, 2000-01-01 … 2001-12-31, 45 × 90 grid \(4°\)\n/,
  );
  assert.match(r.stdout, /memory budget 256 MB; Zarr v2/);
  assert.match(r.stdout, /pass 1: climatology, time mean, global mean \([\d.]+ s\)\n/);
  assert.match(
    r.stdout,
    /\n {2}\d+ tasks, read [\d.]+ [KM]?B, wrote [\d.]+ [KM]?B, \d+ chunk decodes\n/,
  );
  assert.match(
    r.stdout,
    /total: .*; read [\d.]+ MB, wrote [\d.]+ MB; peak memory [\d.]+ MB \(resident, whole process\) against a budget of 256 MB/,
  );
  for (const f of [
    "input.zarr",
    "climatology.zarr",
    "anomaly.zarr",
    "t2m_mean.png",
    "t2m_anomaly_map.png",
    "t2m_global.png",
  ]) {
    assert.ok(existsSync(path.join(dir, f)), f);
    assert.ok(r.stdout.includes(path.join(dir, f)), `the report names ${f}`);
  }
  const check = python<Record<string, number>>(`
ds = xr.open_zarr(${JSON.stringify(path.join(dir, "input.zarr"))})
t = ds.t2m.astype("float64")
clim = xr.open_zarr(${JSON.stringify(path.join(dir, "climatology.zarr"))})
anom = xr.open_zarr(${JSON.stringify(path.join(dir, "anomaly.zarr"))})
w = np.cos(np.deg2rad(ds.lat))
ref_clim = t.groupby("time.month").mean("time")
ref_anom7 = (t.groupby("time.month") - ref_clim).rolling(time=7).mean()
err = lambda got, ref: float(np.nanmax(np.abs(got.values - ref.values)))
print(json.dumps({
  "shape_time": ds.sizes["time"], "shape_lat": ds.sizes["lat"], "shape_lon": ds.sizes["lon"],
  "dtype_f4": int(ds.t2m.dtype == np.float32),
  "time_units": int(ds.time.encoding["units"] == "days since 2000-01-01 00:00:00"),
  "t_min": float(ds.t2m.min()), "t_max": float(ds.t2m.max()),
  "clim": err(clim.t2m_clim, ref_clim),
  "mean": err(clim.t2m_mean, t.mean("time")),
  "global": err(clim.t2m_global, t.weighted(w).mean(("lat", "lon"))),
  "anom7": err(anom.t2m_anom_7d, ref_anom7),
  "anom7_nan_same": int(bool((np.isnan(anom.t2m_anom_7d.values) == np.isnan(ref_anom7.values)).all())),
  "anom7_first_valid": int(np.isnan(anom.t2m_anom_7d.values[:6]).all() and not np.isnan(anom.t2m_anom_7d.values[6]).any()),
  "global7": err(anom.t2m_anom_global_7d, ref_anom7.weighted(w).mean(("lat", "lon"))),
  "land_fraction": float(ds.land.mean()),
  "seasonal_nh": float(t.sel(lat=slice(70, 40)).groupby("time.month").mean(...).sel(month=7) - t.sel(lat=slice(70, 40)).groupby("time.month").mean(...).sel(month=1)),
}))
`);
  assert.deepEqual(
    [check.shape_time, check.shape_lat, check.shape_lon, check.dtype_f4, check.time_units],
    [731, 45, 90, 1, 1],
  );
  // realistic: Earth-like temperatures, some land, northern summers warmer than winters
  assert.ok(check.t_min > 180 && check.t_max < 330, `t2m ${check.t_min} … ${check.t_max} K`);
  assert.ok(
    check.land_fraction > 0.15 && check.land_fraction < 0.6,
    `land fraction ${check.land_fraction}`,
  );
  assert.ok(check.seasonal_nh > 5, `July − January at 40–70°N: ${check.seasonal_nh} K`);
  for (const k of ["clim", "mean", "global", "anom7", "global7"])
    assert.ok(check[k] < 2e-3, `${k}: max |ours − xarray| = ${check[k]} K`);
  assert.equal(
    check.anom7_nan_same,
    1,
    "NaN where xarray has NaN (the first 6 days of the trailing window)",
  );
  assert.equal(check.anom7_first_valid, 1);
  // pictures: decodable, the size the report says, many colours (maps) / a line across the plot
  for (const [file, minColours] of [
    ["t2m_mean.png", 100],
    ["t2m_anomaly_map.png", 100],
    ["t2m_global.png", 20],
  ] as const) {
    const png = PNG.sync.read(readFileSync(path.join(dir, file)));
    const size = new RegExp(`${file.replace(".", "\\.")} \\((\\d+)×(\\d+)\\)`).exec(r.stdout);
    assert.ok(size, `size of ${file} in the report`);
    assert.deepEqual([png.width, png.height], [Number(size[1]), Number(size[2])]);
    assert.equal(png.width, 900);
    assert.ok(colours(png) >= minColours, `${file}: ${colours(png)} colours`);
  }
});

test("dae demo replaces only its own outputs: other files stay, a non-Zarr folder in its way is refused", (t) => {
  const dir = path.join(tempDir(t), "demo");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "notes.txt"), "mine");
  mkdirSync(path.join(dir, "input.zarr"));
  writeFileSync(path.join(dir, "input.zarr", "thesis.tex"), "precious");
  const refused = dae(["demo", "--out", dir, "--size", "small"]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^dae: .*input\.zarr: exists and is not a Zarr store; refusing to replace it\n$/,
  );
  assert.equal(readFileSync(path.join(dir, "input.zarr", "thesis.tex"), "utf8"), "precious");
  assert.equal(readFileSync(path.join(dir, "notes.txt"), "utf8"), "mine");
});

test("dae demo refuses bad options with one line", () => {
  for (const [args, message] of [
    [["--size", "huge"], /^dae: --size: expected small or default, got "huge"\n$/],
    [["--memory", "lots"], /^dae: memory budget "lots" is not a size like 512MB or 2GB\n$/],
    [["--zarr-format", "4"], /^dae: --zarr-format: must be 2 or 3, got "4"\n$/],
  ] as [string[], RegExp][]) {
    const r = dae(["demo", "--out", "/nonexistent/never-written", ...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync("/nonexistent/never-written"));
});
