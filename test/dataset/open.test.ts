import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readBox } from "../../src/array/read-box.js";
import { getVariable, type Dataset } from "../../src/dataset/dataset.js";
import { open } from "../../src/dataset/open.js";
import { formatTime } from "../../src/dataset/calendar.js";
import { writeDatasetZarr } from "../../src/dataset/write-zarr.js";
import { InputError } from "../../src/util/errors.js";
import { fixture, python, tempDir } from "../helpers.js";
import { serveFiles } from "../http-server.js";

const FILES = ["eraint_uvz.nc", "eraint_uvz_nc4.nc", "eraint_uvz.zarr"];

interface XarrayView {
  vars: Record<
    string,
    { dtype: string; dims: string[]; shape: number[]; attrs: Record<string, unknown>; f64: string }
  >;
  coords: string[];
  zmean: number;
}

/** xarray's CF-decoded view of a file: every variable's values as float64 bytes (base64). */
function xarrayView(file: string): XarrayView {
  return python<XarrayView>(`
import base64
ds = xr.open_zarr(${JSON.stringify(file)}) if ${JSON.stringify(file)}.endswith(".zarr") else xr.open_dataset(${JSON.stringify(file)})
def clean(v):
    if isinstance(v, (np.floating, float)): return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer): return int(v)
    if isinstance(v, np.ndarray): return [clean(x) for x in v.tolist()]
    return v
print(json.dumps({
  "vars": {k: {"dtype": str(v.dtype), "dims": list(v.dims), "shape": list(v.shape), "attrs": {a: clean(b) for a, b in v.attrs.items()},
               "f64": base64.b64encode(v.values.astype("<f8").tobytes()).decode()} for k, v in ds.variables.items()},
  "coords": sorted(ds.coords),
  "zmean": float(ds.z.values.astype("f8").mean()),
}))
`);
}

async function values(ds: Dataset, name: string): Promise<Float64Array> {
  const v = getVariable(ds, name);
  return Float64Array.from(
    (await readBox(
      v.array,
      v.shape.map(() => 0),
      v.shape,
    )) as Float64Array,
  );
}

test("the three eraint fixtures open as xarray decodes each of them, bit for bit", async (t) => {
  const files = FILES.map((f) => fixture(t, f));
  if (!files[0]) return;
  const decoded: Record<string, Float64Array>[] = [];
  for (const file of files as string[]) {
    const want = xarrayView(file);
    const ds = await open(file);
    try {
      assert.deepEqual([...ds.variables.keys()].sort(), Object.keys(want.vars).sort(), file);
      assert.deepEqual([...ds.coords].sort(), want.coords, file);
      const got: Record<string, Float64Array> = {};
      for (const [name, w] of Object.entries(want.vars)) {
        const v = getVariable(ds, name);
        assert.equal(v.dtype, w.dtype, `${file}:${name} dtype`);
        assert.deepEqual(v.dims, w.dims, `${file}:${name} dims`);
        assert.deepEqual(v.shape, w.shape, `${file}:${name} shape`);
        assert.deepEqual(v.attrs, w.attrs, `${file}:${name} attrs`);
        got[name] = await values(ds, name);
        const expected = new Float64Array(Uint8Array.from(Buffer.from(w.f64, "base64")).buffer);
        assert.deepEqual(got[name], expected, `${file}:${name} values`);
      }
      let sum = 0;
      for (const x of got.z) sum += x;
      assert.equal((sum / got.z.length).toFixed(2), "61179.39");
      assert.equal((sum / got.z.length).toFixed(6), want.zmean.toFixed(6));
      decoded.push(got);
    } finally {
      await ds.close();
    }
  }
  // the same data, whatever the format: coordinates equal, values equal to packing precision
  for (const name of ["longitude", "latitude", "level", "month"]) {
    assert.deepEqual(decoded[1][name], decoded[0][name], name);
    assert.deepEqual(decoded[2][name], decoded[0][name], name);
  }
  for (const [name, scale] of [
    ["z", 1.73],
    ["u", 0.0016],
    ["v", 0.0005],
  ] as const)
    for (const other of [decoded[1], decoded[2]]) {
      let worst = 0;
      other[name].forEach((x, i) => (worst = Math.max(worst, Math.abs(x - decoded[0][name][i]))));
      assert.ok(worst <= scale * 0.51, `${name}: differs by ${worst}`);
    }
});

test("open refuses missing paths and files that are not arrays, in one line", async (t) => {
  const dir = tempDir(t);
  await assert.rejects(open(path.join(dir, "nope.nc")), {
    name: "InputError",
    message: `no such file or directory: ${path.join(dir, "nope.nc")}`,
  });
  const text = path.join(dir, "notes.txt");
  writeFileSync(text, "hello, this is not an array file\n");
  await assert.rejects(open(text), {
    name: "InputError",
    message: `${text}: not a Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3 file`,
  });
  const empty = path.join(dir, "empty.zarr");
  mkdirSync(empty);
  await assert.rejects(
    open(empty),
    new InputError(`${empty}: not a Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3 file`),
  );
  const tiny = path.join(dir, "tiny.nc");
  writeFileSync(tiny, "CD");
  await assert.rejects(open(tiny), /not a Zarr store, GeoTIFF, NetCDF-4\/HDF5 or NetCDF-3 file/);
});

test("GeoTIFF and basin_mask open through the same entry point", async (t) => {
  const tif = fixture(t, "geotiff/z500_m1_deflate_cog.tif");
  if (!tif) return;
  const ds = await open(tif);
  assert.equal(ds.format, "geotiff");
  assert.ok(ds.variables.size >= 1);
  const basin = await open(fixture(t, "basin_mask.nc")!);
  assert.deepEqual(getVariable(basin, "basin").shape, [33, 180, 360]);
  assert.deepEqual(basin.coords.sort(), ["X", "Y", "Z"]);
  await basin.close();
  await ds.close();
});

test("a time axis survives open → writeDatasetZarr → xarray, in a non-standard calendar", async (t) => {
  const dir = tempDir(t);
  const src = path.join(dir, "src.nc");
  python(`
import cftime
t = xr.cftime_range("2001-01-01", periods=6, freq="MS", calendar="360_day")
ds = xr.Dataset({"tas": (("time", "x"), np.arange(12, dtype="f4").reshape(6, 2))}, coords={"time": t, "x": [10, 20]})
ds.to_netcdf(${JSON.stringify(src)}, format="NETCDF3_64BIT", encoding={"time": {"units": "hours since 2000-12-01", "dtype": "int32"}})
print("null")
`);
  const ds = await open(src);
  const time = getVariable(ds, "time");
  assert.deepEqual(time.time, { calendar: "360_day", units: "hours since 2000-12-01" });
  const stamps = [...(await values(ds, "time"))].map((s) => formatTime(s, "360_day"));
  assert.deepEqual(stamps, [
    "2001-01-01T00:00:00",
    "2001-02-01T00:00:00",
    "2001-03-01T00:00:00",
    "2001-04-01T00:00:00",
    "2001-05-01T00:00:00",
    "2001-06-01T00:00:00",
  ]);
  const out = path.join(dir, "out.zarr");
  await writeDatasetZarr(ds, out, { zarrFormat: 2 });
  await ds.close();
  const back = python<{ iso: string[]; units: string; calendar: string; tas: number[] }>(`
ds = xr.open_zarr(${JSON.stringify(out)})
print(json.dumps({"iso": [d.isoformat() for d in ds.time.values], "units": ds.time.encoding["units"],
  "calendar": ds.time.encoding["calendar"], "tas": ds.tas.values.ravel().tolist()}))
`);
  assert.deepEqual(back.iso, stamps);
  assert.equal(back.units, "hours since 2000-12-01");
  assert.equal(back.calendar, "360_day");
  assert.deepEqual(
    back.tas,
    Array.from({ length: 12 }, (_, i) => i),
  );
});

test("http(s) URLs open through HttpStore (Zarr) and HttpSource (NetCDF-3), with range reads", async (t) => {
  const dir = fixture(t, "");
  if (!dir) return;
  const server = await serveFiles(dir);
  t.after(() => server.close());
  for (const name of ["eraint_uvz.zarr", "eraint_uvz.nc"]) {
    const remote = await open(`${server.url}/${name}`);
    const local = await open(path.join(dir, name));
    assert.equal(remote.format, local.format);
    assert.deepEqual(await values(remote, "z"), await values(local, "z"), name);
    assert.deepEqual(remote.coords, local.coords);
    await Promise.all([remote.close(), local.close()]);
  }
  assert.ok(
    server.requests.some((r) => r.range),
    "range requests were used",
  );
  await assert.rejects(
    open(`${server.url}/eraint_uvz_nc4.nc`),
    /NetCDF-4\/HDF5 is read from local files only/,
  );
  await assert.rejects(
    open(`${server.url}/README.md`),
    /README\.md: not a Zarr store, GeoTIFF, NetCDF-4\/HDF5 or NetCDF-3 file/,
  );
});
