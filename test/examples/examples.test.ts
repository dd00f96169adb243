import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { fixture, python, tempDir } from "../helpers.js";

// compiled, this file is dist/test/examples/*.js and the examples dist/examples/*.js; under tsx, .ts beside it
const here = path.dirname(fileURLToPath(import.meta.url));
const compiled = import.meta.url.endsWith(".js");
const examplesDir = path.resolve(here, "..", "..", "examples");

/** Runs an example script with arguments; returns what it printed. */
function runExample(name: string, args: string[]): string {
  const file = path.join(examplesDir, compiled ? `${name}.js` : `${name}.ts`);
  const r = spawnSync(process.execPath, [...(compiled ? [] : ["--import", "tsx"]), file, ...args], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  return r.stdout;
}

test("example 01: the zonal and global means it prints are xarray's", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const out = runExample("01-open-and-reduce", [src]);
  const want = python<{ zonal: number[]; mean: number }>(`
ds = xr.open_dataset(${JSON.stringify(src)})
z = ds.z.sel(level=500, month=1).mean("longitude")
print(json.dumps({"zonal": [float(z[i]) for i in [0, 60, 120, 180, 240]], "mean": float(ds.z.mean())}))
`);
  const zonal = [...out.matchAll(/zonal mean z500 at [-\d.]+°: ([\d.]+)/g)].map((m) =>
    Number(m[1]),
  );
  assert.equal(zonal.length, 5);
  zonal.forEach((v, i) =>
    assert.ok(Math.abs(v - want.zonal[i]) < 0.06, `${v} vs ${want.zonal[i]}`),
  );
  assert.match(out, new RegExp(`mean of z over everything: ${want.mean.toFixed(2)}\\n`));
});

test("example 02: climatology and rolling anomaly in its Zarr store equal xarray's", (t) => {
  const dir = tempDir(t);
  const out = runExample("02-anomaly-to-zarr", [dir]);
  assert.match(out, /climatology \(month × station\): 12 × 3/);
  assert.match(out, /days 0-5 are NaN: true/);
  const check = python<{ clim: number; anom: number }>(`
store = ${JSON.stringify(path.join(dir, "anomaly.zarr"))}
ds = xr.open_zarr(store)
days, stations = 730, 3
t = np.arange(days)[:, None]; s = np.arange(stations)[None, :]
v = (10 + s - 8 * np.cos(2 * np.pi * t / 365) + 2 * np.sin(t * 1.7 + s)).astype("f4").astype("f8")
tas = xr.DataArray(v, dims=("time", "station"), coords={"time": xr.cftime_range("2001-01-01", periods=days, freq="D", calendar="standard")})
clim = tas.groupby("time.month").mean()
anom7 = (tas.groupby("time.month") - clim).rolling(time=7).mean()
print(json.dumps({"clim": float(np.abs(ds.climatology.values - clim.values).max()),
                  "anom": float(np.nanmax(np.abs(ds.anomaly_7d.values - anom7.values)))}))
`);
  assert.ok(check.clim < 1e-5 && check.anom < 1e-5, JSON.stringify(check));
});

test("example 03: two PNG pictures of the size it says, the maximum speed xarray finds", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const dir = tempDir(t);
  const out = runExample("03-plot", [src, dir]);
  const sizes = [...out.matchAll(/(\S+\.png) \((\d+)×(\d+)\)/g)];
  assert.equal(sizes.length, 2);
  for (const [, file, w, h] of sizes) {
    const png = PNG.sync.read(readFileSync(file));
    assert.deepEqual([png.width, png.height], [Number(w), Number(h)]);
  }
  const max = python<number>(`
ds = xr.open_dataset(${JSON.stringify(src)}).sel(level=200, month=7)
print(json.dumps(float(np.sqrt(ds.u ** 2 + ds.v ** 2).max())))
`);
  assert.match(out, new RegExp(`maximum speed: ${max.toFixed(2)} m/s`));
});

test("example 04: a 4-level mode pyramid of the basin map", (t) => {
  const src = fixture(t, "basin_mask.nc");
  if (!src) return;
  const out = runExample("04-pyramid", [src, tempDir(t)]);
  assert.match(
    out,
    /level 0: 180 × 360 \(group 0\)\nlevel 1: 90 × 180 \(group 1\)\nlevel 2: 45 × 90 \(group 2\)\nlevel 3: 23 × 45 \(group 3\)\n/,
  );
  assert.match(out, /multiscales 0\.4: 0, 1, 2, 3\n/);
});
