import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { openHdf5 } from "../../../src/formats/hdf5/index.js";
import { readBox } from "../../../src/array/read-box.js";
import { ChunkCache } from "../../../src/array/chunk-cache.js";
import { DaeError, FormatError } from "../../../src/util/errors.js";
import { fixture, python, tempDir } from "../../helpers.js";
import { assertAttrs, assertValues, checkRandomBoxes, readWithNetcdf4 } from "../netcdf3/oracle.js";

/** Opens `file` and checks every variable (dims, shape, attrs, raw values) against python netCDF4. */
async function checkAgainstNetcdf4(file: string) {
  const want = readWithNetcdf4(file);
  const ds = await openHdf5(file);
  try {
    assertAttrs(ds.attrs, want.attrs, file);
    assert.deepEqual([...ds.variables.keys()].sort(), Object.keys(want.variables).sort());
    for (const [name, v] of ds.variables) {
      const w = want.variables[name];
      assert.deepEqual(v.dims, w.dims, `${name}: dims`);
      assert.deepEqual(v.shape, w.shape, `${name}: shape`);
      assertAttrs(v.attrs, w.attrs, name);
      const all = [v.shape.map(() => 0), v.shape] as const;
      assertValues(await readBox(v, ...all), w.values, `${name} (one hyperslab)`);
      assertValues(
        await readBox(v, ...all, { cache: new ChunkCache(0) }),
        w.values,
        `${name} (chunk by chunk)`,
      );
    }
  } catch (e) {
    await ds.close?.();
    throw e;
  }
  return { want, ds };
}

test("eraint_uvz_nc4.nc: dims, attrs, raw values and encoding equal netCDF4's; random boxes equal xarray's", async (t) => {
  const file = fixture(t, "eraint_uvz_nc4.nc");
  if (!file) return;
  const { ds } = await checkAgainstNetcdf4(file);
  try {
    assert.equal(ds.format, "netcdf4");
    const storage = python<
      Record<string, { chunks: number[] | string; zlib: boolean; shuffle: boolean; level: number }>
    >(`
import netCDF4
d = netCDF4.Dataset(${JSON.stringify(file)})
print(json.dumps({k: dict(chunks=v.chunking(), zlib=v.filters()["zlib"], shuffle=v.filters()["shuffle"], level=v.filters()["complevel"]) for k, v in d.variables.items()}))
`);
    for (const [name, s] of Object.entries(storage)) {
      const enc = ds.variables.get(name)!.encoding!;
      if (s.chunks === "contiguous") assert.equal(enc.layout, "contiguous", name);
      else {
        assert.deepEqual(enc.chunks, s.chunks, name);
        assert.deepEqual(ds.variables.get(name)!.chunks.chunkShape, s.chunks, name);
      }
      assert.equal(enc.compressor, s.zlib ? "zlib" : "none", name);
      if (s.zlib) assert.equal(enc.level, s.level, name);
      assert.equal((enc.filters as string[]).includes("shuffle"), s.shuffle, name);
    }
    const values = python<Record<string, (number | null)[]>>(`
ds = xr.open_dataset(${JSON.stringify(file)}, mask_and_scale=False, decode_times=False)
print(json.dumps({k: ds[k].values.reshape(-1).tolist() for k in ["z", "v"]}))
`);
    for (const name of ["z", "v"]) await checkRandomBoxes(ds.variables.get(name)!, values[name]);
  } finally {
    await ds.close?.();
  }
});

test("basin_mask.nc: int8 basin on coordinates Z, Y, X", async (t) => {
  const file = fixture(t, "basin_mask.nc");
  if (!file) return;
  const { ds } = await checkAgainstNetcdf4(file);
  await ds.close?.();
  assert.equal(ds.variables.get("basin")!.dtype, "int8");
  assert.deepEqual(ds.variables.get("basin")!.dims, ["Z", "Y", "X"]);
  assert.deepEqual(ds.variables.get("X")!.dims, ["X"]);
});

test("netCDF-4 written by netCDF4: groups, a dimension without variable, unlimited dim, many types", async (t) => {
  const file = path.join(tempDir(t), "groups.nc");
  python(`
import netCDF4
rng = np.random.default_rng(7)
d = netCDF4.Dataset(${JSON.stringify(file)}, "w", format="NETCDF4")
d.title = "nc4 test"
d.levels = np.array([1.5, 2.5, np.nan])
d.createDimension("time", None)
d.createDimension("y", 4)
d.createDimension("x", 6)
d.createDimension("nv", 2)
t = d.createVariable("time", "f8", ("time",))
t[0:3] = [0.0, 1.0, 2.0]
y = d.createVariable("y", "f4", ("y",))
y[:] = [10, 20, 30, 40]
bnds = d.createVariable("y_bnds", "f4", ("y", "nv"))
bnds[:] = rng.standard_normal((4, 2))
temp = d.createVariable("temp", "i2", ("time", "y", "x"), zlib=True, complevel=3, chunksizes=(1, 3, 4), fill_value=-999)
temp.scale_factor = 0.01
temp[0:3] = rng.integers(-3000, 3000, (3, 4, 6))
for name, dt in [("u8", "u1"), ("u16", "u2"), ("u32", "u4"), ("i64", "i8"), ("u64", "u8"), ("i8", "i1")]:
    v = d.createVariable(name, dt, ("y", "x"), contiguous=True)
    v[:] = rng.integers(0, 100, (4, 6))
    v.valid_range = np.array([0, 100], dt)
g = d.createGroup("forecast")
g.source = "model"
g.createDimension("step", 5)
s = g.createVariable("step", "i4", ("step",))
s[:] = np.arange(5) * 6
w = g.createVariable("wind", "f4", ("step", "y"), fill_value=np.float32(1e20))
w[:] = rng.standard_normal((5, 4)).astype("f4")
w[2, 1] = np.nan
sub = g.createGroup("deep")
sub.createVariable("flag", "i1", ("x",))[:] = np.arange(6)
# a variable named like a dimension but not its coordinate: netCDF-C stores it as _nc4_non_coord_x
d.createVariable("x", "f8", ("y",))[:] = [4, 3, 2, 1]
d.close()
print("null")
`);
  const { ds } = await checkAgainstNetcdf4(file);
  await ds.close?.();
  assert.equal(ds.format, "netcdf4");
  assert.ok(!ds.variables.has("nv"), "a dimension without a variable is not a variable");
  assert.deepEqual(ds.variables.get("y_bnds")!.dims, ["y", "nv"]);
  assert.deepEqual(ds.variables.get("forecast/wind")!.dims, ["step", "y"]);
  const temp = ds.variables.get("temp")!;
  assert.equal(temp.fillValue, -999);
  assert.deepEqual(temp.chunks.chunkShape, [1, 3, 4]);
  assert.equal(ds.variables.get("i64")!.dtype, "int64");
  assert.deepEqual(ds.variables.get("x")!.dims, ["y"]);
});

test("plain HDF5 from h5py: dtypes, big-endian, float16, bool, scales, phony dims, virtual chunks of a contiguous dataset", async (t) => {
  const file = path.join(tempDir(t), "plain.h5");
  const want = python<Record<string, { values: (number | null)[]; shape: number[] }>>(`
import h5py
rng = np.random.default_rng(3)
f = h5py.File(${JSON.stringify(file)}, "w")
f.attrs["title"] = "plain"
f.create_dataset("big", data=rng.standard_normal((1500, 1000)).astype("f4"))
f.create_dataset("be", data=np.arange(20, dtype=">f8").reshape(4, 5) * 1.5, chunks=(3, 2), compression="gzip", shuffle=True)
f.create_dataset("sq", data=np.arange(9, dtype=">u2").reshape(3, 3))
g = f.create_group("grp")
g.create_dataset("half", data=np.array([[0.5, -2, 65504], [1e-7, np.inf, np.nan]], "f2"))
g.create_dataset("flags", data=np.array([True, False, True]))
g.create_dataset("names", data=np.array([b"ab", b"cd"]))
x = f.create_dataset("x", data=np.arange(5, dtype="f4"))
x.make_scale("x")
f["be"].dims[1].attach_scale(x)
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset) and obj.dtype.kind != "S":
        v = obj[...].astype("f8").reshape(-1)
        out[name] = {"shape": list(obj.shape), "values": [None if np.isnan(a) else a for a in v.tolist()]}
f.visititems(visit)
f.close()
print(json.dumps(out).replace("Infinity", "1e999"))
`);
  const ds = await openHdf5(file);
  try {
    assert.equal(ds.format, "hdf5");
    assert.deepEqual(ds.attrs, { title: "plain" });
    assert.deepEqual(
      [...ds.variables.keys()].sort(),
      Object.keys(want).sort(),
      "numeric datasets, by path",
    );
    for (const [name, v] of ds.variables) {
      assert.deepEqual(v.shape, want[name].shape, name);
      assertValues(
        await readBox(
          v,
          v.shape.map(() => 0),
          v.shape,
        ),
        want[name].values,
        name,
      );
    }
    assert.equal(ds.variables.get("grp/half")!.dtype, "float16");
    assert.equal(ds.variables.get("grp/flags")!.dtype, "bool");
    assert.equal(ds.variables.get("sq")!.dtype, "uint16");
    const big = ds.variables.get("big")!;
    assert.equal(big.encoding?.layout, "contiguous");
    assert.ok(
      big.chunks.totalCount > 1 && big.chunks.chunkShape[1] === 1000,
      `virtual chunks ${big.chunks.chunkShape}`,
    );
    await checkRandomBoxes(big, want.big.values, 25);
    // dims: the scale's name; phony dims shared by equal lengths in a group, distinct within a dataset
    const be = ds.variables.get("be")!.dims;
    assert.equal(be[1], "x");
    assert.match(be[0], /^phony_dim_\d+$/);
    const sq = ds.variables.get("sq")!.dims;
    assert.notEqual(sq[0], sq[1]);
    assert.match(sq[0], /^phony_dim_\d+$/);
    assert.equal(ds.variables.get("big")!.dims.length, 2);
  } finally {
    await ds.close?.();
  }
});

/** Open file descriptors of this process that point at `file` (by its real path: /proc shows links resolved). */
function openDescriptors(file: string): number {
  const real = realpathSync(file);
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === real) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

test("two files open at once, repeated opens of one file, and close() releases the file", async (t) => {
  const a = fixture(t, "eraint_uvz_nc4.nc");
  const b = fixture(t, "basin_mask.nc");
  if (!a || !b) return;
  const before = openDescriptors(a);
  const first = await openHdf5(a);
  const again = await openHdf5(a);
  const other = await openHdf5(b);
  assert.ok(openDescriptors(a) > before, "h5wasm reads the file through a descriptor of its own");
  const z = first.variables.get("z")!;
  const z2 = again.variables.get("z")!;
  const basin = other.variables.get("basin")!;
  assert.deepEqual(await z.readChunk([1, 2, 1, 1]), await z2.readChunk([1, 2, 1, 1]));
  const mask = await basin.readChunk([0, 0, 0]);
  await first.close?.();
  await assert.rejects(
    z.readChunk([0, 0, 0, 0]),
    (e: unknown) => e instanceof DaeError && /closed/.test(e.message),
  );
  assert.deepEqual(await basin.readChunk([0, 0, 0]), mask, "the other file still reads");
  assert.equal(
    (await z2.readChunk([0, 0, 0, 0])).length,
    121 * 240,
    "the second open of the same file still reads",
  );
  await again.close?.();
  await other.close?.();
  await first.close?.(); // closing twice is harmless
  assert.equal(openDescriptors(a), before, "no descriptor left open on the file");
  const reopened = await openHdf5(a);
  assert.equal((await reopened.variables.get("u")!.readChunk([0, 0, 0, 0])).length, 121 * 240);
  await reopened.close?.();
});

/** Asserts that `action` fails with a one-line FormatError whose message includes each of `names`. */
async function assertFormatError(action: () => Promise<unknown>, ...names: string[]) {
  await assert.rejects(action, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${e}`);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    for (const s of names) assert.ok(e.message.includes(s), `"${e.message}" names ${s}`);
    return true;
  });
}

test("corrupt HDF5: cut short, garbage, a damaged chunk, a missing file: one-line errors naming the file", async (t) => {
  const source = fixture(t, "eraint_uvz_nc4.nc");
  if (!source) return;
  const dir = tempDir(t);
  const cut = path.join(dir, "cut.nc");
  const damaged = path.join(dir, "damaged.nc");
  const garbage = path.join(dir, "garbage.nc");
  writeFileSync(garbage, Buffer.alloc(5000, 0x5a));
  // the byte offset of chunk [1, 1, 1, 0] of u, from h5py, to damage exactly that chunk
  const chunk = python<{ offset: number; size: number }>(`
import h5py
data = open(${JSON.stringify(source)}, "rb").read()
open(${JSON.stringify(cut)}, "wb").write(data[:1_000_000])
u = h5py.File(${JSON.stringify(source)}, "r")["u"]
info = u.id.get_chunk_info_by_coord((1, 1, 121, 0))
damaged = bytearray(data)
damaged[info.byte_offset + 10 : info.byte_offset + info.size] = b"\\xff" * (info.size - 10)
open(${JSON.stringify(damaged)}, "wb").write(damaged)
print(json.dumps({"offset": info.byte_offset, "size": info.size}))
`);
  assert.ok(chunk.size > 10);
  await assertFormatError(() => openHdf5(cut), cut, "truncated");
  await assertFormatError(() => openHdf5(garbage), garbage, "not an HDF5");
  const ds = await openHdf5(damaged);
  try {
    const u = ds.variables.get("u")!;
    assert.equal((await u.readChunk([1, 1, 0, 0])).length, 121 * 240, "other chunks still read");
    await assertFormatError(() => u.readChunk([1, 1, 1, 0]), `${damaged}:u`, "chunk [1,1,1,0]");
    await assertFormatError(() => readBox(u, [0, 0, 0, 0], [2, 3, 241, 480]), `${damaged}:u`);
  } finally {
    await ds.close?.();
  }
  const missing = path.join(dir, "missing.nc");
  await assert.rejects(
    openHdf5(missing),
    (e: unknown) => e instanceof DaeError && e.message.includes(missing),
  );
});

test("an HDF5 file that sends the HDF5 library into a loop is an error naming it, not a hang", async (t) => {
  const dir = tempDir(t);
  const good = path.join(dir, "good.h5");
  const looping = path.join(dir, "looping.h5");
  // a string attribute lives in a global heap collection ("GCOL"); its first object's size
  // set to 0 makes HDF5 1.14's heap parser loop for ever (found by the HDF5 fuzz test)
  python(`
import h5py
with h5py.File(${JSON.stringify(good)}, "w") as f:
    f.create_dataset("t", data=np.arange(6, dtype="f4")).attrs["units"] = "K"
data = bytearray(open(${JSON.stringify(good)}, "rb").read())
gcol = data.index(b"GCOL")
assert data[gcol + 24] == 1, "the object holds one byte, 'K'"
data[gcol + 24] = 0
open(${JSON.stringify(looping)}, "wb").write(data)
print("null")
`);
  await assertFormatError(
    () => openHdf5(looping, { metadataDeadlineMs: 2000 }),
    looping,
    "did not finish in 2 s",
  );
  // the probe thread was replaced: the next file opens
  const ds = await openHdf5(good);
  try {
    assert.deepEqual(ds.variables.get("t")!.attrs, { units: "K" });
    assert.deepEqual(
      Array.from((await ds.variables.get("t")!.readChunk([0])) as Float32Array),
      [0, 1, 2, 3, 4, 5],
    );
  } finally {
    await ds.close?.();
  }
});

test("a file that failed to open opens once it is fixed, in the same process", async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "fixed-later.h5");
  const good = python<number[]>(`
import h5py
with h5py.File(${JSON.stringify(file)}, "w") as f:
    f.create_dataset("t", data=np.arange(6, dtype="f4")).attrs["units"] = "K"
print(json.dumps(list(open(${JSON.stringify(file)}, "rb").read())))
`);
  const bytes = Uint8Array.from(good);
  // the version byte of the attribute message that holds "units" (8 bytes before its name)
  const name = Buffer.from(bytes).indexOf("units\0");
  assert.ok(name > 8 && bytes[name - 8] === 1, "a version 1 attribute message");
  const damaged = bytes.slice();
  damaged[name - 8] = 9;
  writeFileSync(file, damaged);
  await assertFormatError(() => openHdf5(file), file, "bad version number for attribute message");
  // HDF5 keeps a file it failed on open and answers a later open of the path from its cache
  writeFileSync(file, bytes);
  const ds = await openHdf5(file);
  try {
    assert.deepEqual(ds.variables.get("t")!.attrs, { units: "K" });
  } finally {
    await ds.close?.();
  }
});
