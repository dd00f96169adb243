import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { dae, fixture, python, tempDir } from "../helpers.js";

const FILES = ["eraint_uvz.nc", "eraint_uvz_nc4.nc", "eraint_uvz.zarr"];

interface Info {
  format: string;
  variables: Record<
    string,
    {
      dims: string[];
      shape: number[];
      dtype: string;
      chunks: number[];
      attrs: Record<string, unknown>;
    }
  >;
  coords: Record<string, { first: unknown; last: unknown }>;
  attrs: Record<string, unknown>;
}

/** What xarray says about a file, decoded (and the stored dtypes with decode_cf=False). */
function xarrayInfo(file: string) {
  return python<{
    vars: Record<
      string,
      {
        dims: string[];
        shape: number[];
        dtype: string;
        raw: string;
        chunks: number[] | null;
        attrs: Record<string, unknown>;
      }
    >;
    coords: Record<string, [number, number]>;
    attrs: Record<string, unknown>;
  }>(`
f = ${JSON.stringify(file)}
op = (lambda **k: xr.open_zarr(f, **k)) if f.endswith(".zarr") else (lambda **k: xr.open_dataset(f, **k))
ds, raw = op(), op(decode_cf=False)
def chunks(v):
    c = v.encoding.get("chunks") or v.encoding.get("chunksizes")
    return list(c) if c else None
print(json.dumps({
  "vars": {k: {"dims": list(v.dims), "shape": list(v.shape), "dtype": str(v.dtype), "raw": str(raw[k].dtype), "chunks": chunks(v),
               "attrs": {a: (b.item() if hasattr(b, "item") else b) for a, b in v.attrs.items()}} for k, v in ds.variables.items()},
  "coords": {k: [v.values[0].item(), v.values[-1].item()] for k, v in ds.coords.items()},
  "attrs": ds.attrs,
}))
`);
}

test("dae info --json on the fixtures says what xarray says", async (t) => {
  for (const name of FILES) {
    const file = fixture(t, name);
    if (!file) return;
    const r = dae(["info", "--json", file]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Info;
    assert.deepEqual(Object.keys(info), ["format", "variables", "coords", "attrs"]);
    const want = xarrayInfo(file);
    assert.deepEqual(Object.keys(info.variables).sort(), Object.keys(want.vars).sort(), name);
    for (const [k, w] of Object.entries(want.vars)) {
      const v = info.variables[k];
      assert.deepEqual(Object.keys(v), ["dims", "shape", "dtype", "chunks", "attrs"]);
      assert.deepEqual(
        [v.dims, v.shape, v.dtype, v.attrs],
        [w.dims, w.shape, w.dtype, w.attrs],
        `${name}:${k}`,
      );
      if (w.chunks) assert.deepEqual(v.chunks, w.chunks, `${name}:${k} chunks`);
    }
    assert.deepEqual(
      Object.fromEntries(Object.entries(info.coords).map(([k, c]) => [k, [c.first, c.last]])),
      want.coords,
      name,
    );
    assert.deepEqual(info.attrs, want.attrs);
    const raw = JSON.parse(dae(["info", "--json", "--raw", file]).stdout) as Info;
    for (const [k, w] of Object.entries(want.vars))
      assert.equal(raw.variables[k].dtype, w.raw, `${name}:${k} stored dtype`);
  }
});

test("dae info prints a readable table: dims, shapes, stored and decoded dtypes, chunks, codecs", async (t) => {
  const file = fixture(t, "eraint_uvz_nc4.nc");
  if (!file) return;
  const r = dae(["info", file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(netcdf4\)/);
  assert.match(r.stdout, /dimensions: longitude=480, latitude=241, level=3, month=2/);
  assert.match(
    r.stdout,
    /^ {2}z +\(month, level, latitude, longitude\) +\[2, 3, 241, 480\] +float64 \(stored int16\) +\[1, 1, 121, 240\] +shuffle zlib\(4\)$/m,
  );
  assert.match(r.stdout, /^ {2}latitude +\(latitude\) +float32 +90 … -90 +degrees_north$/m);
  assert.match(r.stdout, /^ {2}Conventions: CF-1.0$/m);
});

test("dae info shows time coordinates as dates in their calendar, like xarray", async (t) => {
  const file = path.join(tempDir(t), "t.nc");
  const want = python<string[]>(`
t = xr.cftime_range("1999-12-30", periods=40, freq="6H", calendar="noleap")
ds = xr.Dataset({"pr": (("time",), np.zeros(40, "f4"))}, coords={"time": t})
ds.to_netcdf(${JSON.stringify(file)}, format="NETCDF3_CLASSIC", encoding={"time": {"units": "days since 1990-01-01"}})
back = xr.open_dataset(${JSON.stringify(file)})
print(json.dumps([back.time.values[0].isoformat(), back.time.values[-1].isoformat()]))
`);
  const info = JSON.parse(dae(["info", "--json", file]).stdout) as Info;
  assert.deepEqual([info.coords.time.first, info.coords.time.last], want);
  assert.match(
    dae(["info", file]).stdout,
    new RegExp(`time +\\(time\\) +float64 +${want[0]} … ${want[1]} +noleap`),
  );
});

test("dae info on a Zarr group lists nested arrays by path", async (t) => {
  const store = path.join(tempDir(t), "g.zarr");
  python(`
import zarr
g = zarr.open_group(${JSON.stringify(store)}, mode="w")
g.attrs["title"] = "nested"
a = g.create_group("atmos").zeros("t", shape=(4, 3), chunks=(2, 3), dtype="f4")
a.attrs["_ARRAY_DIMENSIONS"] = ["y", "x"]
print("null")
`);
  const info = JSON.parse(dae(["info", "--json", store]).stdout) as Info;
  assert.deepEqual(Object.keys(info.variables), ["atmos/t"]);
  assert.deepEqual(info.variables["atmos/t"], {
    dims: ["y", "x"],
    shape: [4, 3],
    dtype: "float32",
    chunks: [2, 3],
    attrs: {},
  });
  assert.deepEqual(info.attrs, { title: "nested" });
});

test("bad input: one line on stderr starting with dae:, exit code 1, no stack trace", async (t) => {
  const dir = tempDir(t);
  const notes = path.join(dir, "notes.txt");
  (await import("node:fs")).writeFileSync(notes, "just text\n");
  for (const [args, message] of [
    [
      ["info", path.join(dir, "missing.nc")],
      `dae: no such file or directory: ${path.join(dir, "missing.nc")}`,
    ],
    [["info", notes], `dae: ${notes}: not a Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3 file`],
    [
      ["info", "--json", dir],
      `dae: ${dir}: not a Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3 file`,
    ],
  ] as const) {
    const r = dae([...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `${message}\n`);
    assert.equal(r.stdout, "");
  }
});
