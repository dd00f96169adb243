import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { dae, fixture, python, tempDir } from "../helpers.js";

test("dae convert eraint_uvz.nc → Zarr v2: xarray opens it with values equal to the NetCDF's", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const out = path.join(tempDir(t), "era.zarr");
  const r = dae([
    "convert",
    src,
    out,
    "--zarr-format",
    "2",
    "--chunks",
    "latitude=100,month=1",
    "--compressor",
    "blosc",
  ]);
  assert.equal(r.code, 0, r.stderr);
  // not a terminal: no progress bar, one summary line
  assert.match(
    r.stderr,
    /^wrote .*era\.zarr \(Zarr v2\): 7 variables, \d+ chunks, [\d.]+ MB in [\d.]+ s\n$/,
  );
  const check = python<{
    equal: Record<string, boolean>;
    dims: boolean;
    attrs: boolean;
    coords: string[];
    chunks: number[];
    zmean: number;
  }>(`
a = xr.open_dataset(${JSON.stringify(src)})
b = xr.open_zarr(${JSON.stringify(out)}, consolidated=True)
print(json.dumps({
  "equal": {k: bool(np.array_equal(a[k].values, b[k].values, equal_nan=True) and a[k].dtype == b[k].dtype) for k in a.variables},
  "dims": all(a[k].dims == b[k].dims for k in a.variables),
  "attrs": all(a[k].attrs == b[k].attrs for k in a.variables) and a.attrs == b.attrs,
  "coords": sorted(b.coords),
  "chunks": list(b.z.encoding["chunks"]),
  "zmean": float(b.z.mean()),
}))
`);
  assert.deepEqual(check.equal, {
    longitude: true,
    latitude: true,
    level: true,
    z: true,
    u: true,
    v: true,
    month: true,
  });
  assert.ok(check.dims && check.attrs);
  assert.deepEqual(check.coords, ["latitude", "level", "longitude", "month"]);
  assert.deepEqual(check.chunks, [1, 3, 100, 480]);
  assert.equal(check.zmean.toFixed(2), "61179.39");
});

test("dae convert to sharded Zarr v3, --variables and --quiet; dae info reads it back", async (t) => {
  const src = fixture(t, "eraint_uvz.zarr");
  if (!src) return;
  const out = path.join(tempDir(t), "z.zarr");
  const r = dae([
    "convert",
    src,
    out,
    "--variables",
    "z",
    "--chunks",
    "latitude=50,longitude=120",
    "--shards",
    "latitude=150,longitude=480",
    "--quiet",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const info = JSON.parse(dae(["info", "--json", out]).stdout);
  assert.equal(info.format, "zarr-v3");
  assert.deepEqual(Object.keys(info.variables).sort(), [
    "latitude",
    "level",
    "longitude",
    "month",
    "z",
  ]);
  assert.deepEqual(info.variables.z.chunks, [1, 3, 50, 120]);
  assert.equal(info.variables.z.dtype, "float32");
  const before = JSON.parse(dae(["info", "--json", src]).stdout);
  assert.deepEqual(info.coords, before.coords);
  assert.deepEqual(info.variables.z.attrs, before.variables.z.attrs);
});

test("dae convert refuses bad options and bad input in one line, exit 1, writing nothing", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const dir = tempDir(t);
  const out = path.join(dir, "bad.zarr");
  const cases: [string[], string][] = [
    [
      ["--chunks", "lat=3"],
      'dae: --chunks: no dimension "lat" (dimensions: longitude, latitude, level, month)',
    ],
    [
      ["--chunks", "latitude=abc"],
      'dae: --chunks: size of latitude must be a positive integer, got "abc"',
    ],
    [["--chunks", "latitude"], 'dae: --chunks: expected dim=n[,dim=n...], got "latitude"'],
    [
      ["--shards", "depth=4"],
      'dae: --shards: no dimension "depth" (dimensions: longitude, latitude, level, month)',
    ],
    [
      ["--variables", "z,q"],
      `dae: ${src}: no variable "q" (variables: longitude, latitude, level, z, u, v, month)`,
    ],
    [["--zarr-format", "4"], 'dae: --zarr-format: must be 2 or 3, got "4"'],
    [
      ["--compressor", "xz"],
      'dae: --compressor: unknown compressor "xz" (known: zstd, blosc, gzip, zlib, lz4, none)',
    ],
    [["--zarr-format", "2", "--shards", "latitude=100"], "dae: shards need Zarr format 3"],
  ];
  for (const [options, message] of cases) {
    const r = dae(["convert", src, out, ...options]);
    assert.equal(r.code, 1, `${options}: ${r.stderr}`);
    assert.equal(r.stderr, `${message}\n`, options.join(" "));
    assert.ok(!existsSync(out), `${options}: nothing written`);
  }
  const missing = dae(["convert", path.join(dir, "nope.nc"), out]);
  assert.deepEqual(
    [missing.code, missing.stderr],
    [1, `dae: no such file or directory: ${path.join(dir, "nope.nc")}\n`],
  );
  assert.equal(dae(["convert", src, out, "--quiet"]).code, 0);
  const again = dae(["convert", src, out]);
  assert.deepEqual(
    [again.code, again.stderr],
    [1, `dae: ${out}: already exists (overwrite it with --overwrite)\n`],
  );
  assert.equal(dae(["convert", src, out, "--overwrite", "--quiet", "--zarr-format", "2"]).code, 0);
  assert.ok(existsSync(path.join(out, ".zmetadata")));
});
