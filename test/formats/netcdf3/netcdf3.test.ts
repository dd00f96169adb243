import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { openNetcdf3 } from "../../../src/formats/netcdf3/index.js";
import { FileSource } from "../../../src/storage/fs-store.js";
import { readBox } from "../../../src/array/read-box.js";
import { ChunkCache } from "../../../src/array/chunk-cache.js";
import { FormatError } from "../../../src/util/errors.js";
import type { ByteSource } from "../../../src/storage/store.js";
import { fixture, python, tempDir } from "../../helpers.js";
import { assertAttrs, assertValues, checkRandomBoxes, readWithNetcdf4 } from "./oracle.js";

/** Opens `file`, checks every variable against the python netCDF4 oracle, and returns both. */
async function checkAgainstOracle(file: string, options: { virtualChunkBytes?: number } = {}) {
  const want = readWithNetcdf4(file);
  const ds = await openNetcdf3(new FileSource(file), options);
  try {
    assertAttrs(ds.attrs, want.attrs, file);
    assert.deepEqual([...ds.variables.keys()].sort(), Object.keys(want.variables).sort());
    for (const [name, v] of ds.variables) {
      const w = want.variables[name];
      assert.deepEqual(v.dims, w.dims, `${name}: dims`);
      assert.deepEqual(v.shape, w.shape, `${name}: shape`);
      assertAttrs(v.attrs, w.attrs, name);
      assertValues(
        await readBox(
          v,
          v.shape.map(() => 0),
          v.shape,
        ),
        w.values,
        `${name} (readRegion)`,
      );
      // chunk by chunk too: every chunk equals its box of the oracle's array
      assertValues(
        await readBox(
          v,
          v.shape.map(() => 0),
          v.shape,
          { cache: new ChunkCache(0) },
        ),
        w.values,
        `${name} (chunks)`,
      );
    }
  } finally {
    await ds.close?.();
  }
  return { want, ds };
}

test("eraint_uvz.nc (64-bit offset): dims, attrs and raw values equal netCDF4's", async (t) => {
  const file = fixture(t, "eraint_uvz.nc");
  if (!file) return;
  const { want, ds } = await checkAgainstOracle(file);
  assert.equal(ds.format, "netcdf3-64bit-offset");
  assert.equal(want.format, "NETCDF3_64BIT_OFFSET");
  assert.equal(ds.variables.get("z")!.dtype, "int16");
  assert.equal(
    ds.variables.get("z")!.fillValue,
    null,
    "a NaN _FillValue on int16 is no fill value",
  );
});

test("eraint_uvz.nc: random boxes equal the same boxes of xarray's array (small virtual chunks)", async (t) => {
  const file = fixture(t, "eraint_uvz.nc");
  if (!file) return;
  const want = python<Record<string, (number | null)[]>>(`
ds = xr.open_dataset(${JSON.stringify(file)}, mask_and_scale=False, decode_times=False)
print(json.dumps({k: ds[k].values.reshape(-1).tolist() for k in ["z", "u", "latitude"]}))
`);
  const ds = await openNetcdf3(new FileSource(file), { virtualChunkBytes: 50_000 });
  try {
    const z = ds.variables.get("z")!;
    assert.ok(z.chunks.totalCount > 10, `z has ${z.chunks.totalCount} virtual chunks`);
    for (const name of ["z", "u", "latitude"])
      await checkRandomBoxes(ds.variables.get(name)!, want[name]);
  } finally {
    await ds.close?.();
  }
});

test("positioned reads: opening reads the header only, a chunk reads about its own bytes", async (t) => {
  const file = fixture(t, "eraint_uvz.nc");
  if (!file) return;
  const inner = new FileSource(file);
  const reads: number[] = [];
  const counting: ByteSource = {
    url: file,
    size: () => inner.size(),
    read: (offset, length) => {
      reads.push(length);
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  const ds = await openNetcdf3(counting, { virtualChunkBytes: 100_000 });
  try {
    assert.ok(reads.reduce((a, b) => a + b, 0) <= 64 << 10, `opening read ${reads} bytes`);
    reads.length = 0;
    const z = ds.variables.get("z")!;
    const chunk = await z.readChunk([1, 2, 0, 0]);
    assert.deepEqual(reads, [chunk.length * 2], "one read of exactly the chunk's bytes");
  } finally {
    await ds.close?.();
  }
});

/** Writes a NetCDF-3 file with python netCDF4 (`body` gets `ds` and a seeded `rng`). */
function writeWithNetcdf4(file: string, format: string, body: string): void {
  python(`
import netCDF4
rng = np.random.default_rng(42)
ds = netCDF4.Dataset(${JSON.stringify(file)}, "w", format=${JSON.stringify(format)})
${body}
ds.close()
print("null")
`);
}

test("classic file with a record dimension, two record variables and a fixed one", async (t) => {
  const file = path.join(tempDir(t), "records.nc");
  writeWithNetcdf4(
    file,
    "NETCDF3_CLASSIC",
    `
ds.createDimension("time", None)
ds.createDimension("y", 3)
ds.createDimension("x", 5)
ds.createDimension("len", 4)
ds.title = "records test"
ds.ints = np.array([1, -2, 3], "i4")
ds.pi = np.float32(3.25)
ds.bytes = np.array([-1, 7], "i1")
tm = ds.createVariable("time", "f8", ("time",))
tm.units = "days since 2000-01-01"
a = ds.createVariable("a", "i2", ("time", "y", "x"), fill_value=-99)
a.scale_factor = 0.5
c = ds.createVariable("c", "i1", ("time", "x"))
f = ds.createVariable("f", "f4", ("y", "x"))
f.missing_value = np.float32(np.nan)
s = ds.createVariable("label", "S1", ("y", "len"))
sc = ds.createVariable("scalar", "f8", ())
tm[0:7] = np.arange(7) * 1.5
a[0:6] = rng.integers(-1000, 1000, (6, 3, 5))
c[0:7] = rng.integers(-128, 127, (7, 5))
f[:] = rng.standard_normal((3, 5)).astype("f4")
f[1, 2] = np.nan
s[:] = netCDF4.stringtochar(np.array(["ab", "cde", "fghi"], "S4"))
sc.assignValue(2.5)
`,
  );
  const { ds } = await checkAgainstOracle(file);
  assert.equal(ds.format, "netcdf3-classic");
  const a = ds.variables.get("a")!;
  assert.deepEqual(a.shape, [7, 3, 5]);
  assert.equal(a.fillValue, -99);
  assert.equal(a.encoding?.layout, "record");
  assert.equal(ds.variables.get("label")!.dtype, "uint8");
  // tiny virtual chunks: several records per chunk, read strided over the interleaved records
  const small = await checkAgainstOracle(file, { virtualChunkBytes: 100 });
  const c = small.ds.variables.get("c")!;
  assert.ok(
    c.chunks.dims[0].size > 1 && c.chunks.dims[0].count > 1,
    `c chunks ${c.chunks.chunkShape}`,
  );
  await checkRandomBoxes(small.ds.variables.get("a")!, small.want.variables.a.values);

  // numrecs = STREAMING (0xFFFFFFFF): the record count comes from the file size
  const streaming = path.join(path.dirname(file), "streaming.nc");
  const bytes = readFileSync(file);
  bytes.writeUInt32BE(0xffffffff, 4);
  writeFileSync(streaming, bytes);
  const s = await openNetcdf3(new FileSource(streaming));
  try {
    for (const name of ["time", "a", "c"]) {
      const v = s.variables.get(name)!;
      assert.equal(v.shape[0], 7, name);
      assertValues(
        await readBox(
          v,
          v.shape.map(() => 0),
          v.shape,
        ),
        small.want.variables[name].values,
        `${name} (streaming)`,
      );
    }
  } finally {
    await s.close?.();
  }
});

test("a lone record variable is not padded; 64-bit offset and CDF-5 types", async (t) => {
  const dir = tempDir(t);
  for (const format of ["NETCDF3_64BIT_OFFSET", "NETCDF3_64BIT_DATA"]) {
    const file = path.join(dir, `${format}.nc`);
    const cdf5 = format === "NETCDF3_64BIT_DATA";
    writeWithNetcdf4(
      file,
      format,
      `
ds.createDimension("t", None)
ds.createDimension("x", 3)
r = ds.createVariable("r", "i2", ("t", "x"))
r[0:5] = rng.integers(-30000, 30000, (5, 3))
g = ds.createVariable("g", "f8", ("x",))
g[:] = [1.5, -2.25, 1e300]
${
  cdf5
    ? `ds.createDimension("y", 2)
for name, dt in [("u8", "u1"), ("u16", "u2"), ("u32", "u4"), ("i64", "i8"), ("u64", "u8")]:
    v = ds.createVariable(name, dt, ("y", "x"))
    v[:] = rng.integers(0, 120, (2, 3))
    v.valid_max = np.array([100], dt)`
    : ""
}
`,
    );
    const { ds } = await checkAgainstOracle(file, { virtualChunkBytes: 16 });
    assert.equal(ds.format, cdf5 ? "netcdf3-64bit-data" : "netcdf3-64bit-offset");
    assert.equal(ds.variables.get("r")!.encoding?.recordStride, 6);
    if (cdf5) assert.equal(ds.variables.get("i64")!.dtype, "int64");
  }
});

/** Asserts that opening `file` fails with a one-line FormatError naming it (and `alsoNames`). */
async function assertOpenFails(file: string, ...alsoNames: string[]) {
  await assert.rejects(
    async () => {
      const ds = await openNetcdf3(new FileSource(file));
      await ds.close?.();
    },
    (e: unknown) => {
      assert.ok(e instanceof FormatError, `expected a FormatError, got ${e}`);
      assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
      for (const s of [file, ...alsoNames])
        assert.ok(e.message.includes(s), `"${e.message}" names ${s}`);
      return true;
    },
  );
}

/** A minimal classic header: one dimension `x` of `length`, one double variable `v(x)` at `begin`. */
function header(options: { ndims?: number; length: number; begin: number }): Uint8Array {
  const words: number[] = [];
  const u32 = (v: number) => words.push(v >>> 0);
  const name = (s: string) => {
    u32(s.length);
    const b = Buffer.alloc(4);
    b.write(s);
    words.push(b.readUInt32BE(0));
  };
  u32(0x43444601); // "CDF\x01"
  u32(0); // numrecs
  u32(0x0a);
  u32(options.ndims ?? 1);
  name("x");
  u32(options.length);
  u32(0);
  u32(0); // no global attributes
  u32(0x0b);
  u32(1);
  name("v");
  u32(1);
  u32(0); // dimid 0
  u32(0);
  u32(0); // no attributes
  u32(6); // double
  u32(8 * options.length);
  u32(options.begin);
  const out = Buffer.alloc(words.length * 4 + 64);
  words.forEach((w, i) => out.writeUInt32BE(w, i * 4));
  return out;
}

test("corrupt input: one-line FormatError naming the file (and variable), no huge allocation", async (t) => {
  const dir = tempDir(t);
  const garbage = path.join(dir, "garbage.nc");
  writeFileSync(garbage, Buffer.from("this is not a netcdf file at all"));
  await assertOpenFails(garbage, "not a NetCDF-3 file");

  const empty = path.join(dir, "empty.nc");
  writeFileSync(empty, Buffer.alloc(0));
  await assertOpenFails(empty);

  const good = header({ length: 2, begin: 88 });
  const truncatedHeader = path.join(dir, "truncated-header.nc");
  writeFileSync(truncatedHeader, good.subarray(0, 50));
  await assertOpenFails(truncatedHeader, "truncated");

  const absurdLength = path.join(dir, "absurd-length.nc");
  writeFileSync(absurdLength, header({ length: 0x7ffffff0, begin: 88 }));
  await assertOpenFails(absurdLength, "variable v");

  const absurdCount = path.join(dir, "absurd-count.nc");
  writeFileSync(absurdCount, header({ ndims: 0x7fffffff, length: 2, begin: 88 }));
  await assertOpenFails(absurdCount, "2147483647 dimensions");

  const fixtureFile = fixture(t, "eraint_uvz.nc");
  if (!fixtureFile) return;
  const cut = path.join(dir, "cut.nc");
  python(`
open(${JSON.stringify(cut)}, "wb").write(open(${JSON.stringify(fixtureFile)}, "rb").read()[:2_000_000])
print("null")`);
  await assertOpenFails(cut, "variable u", "past the end");
  const cutHeader = path.join(dir, "cut-header.nc");
  python(`
open(${JSON.stringify(cutHeader)}, "wb").write(open(${JSON.stringify(fixtureFile)}, "rb").read()[:700])
print("null")`);
  await assertOpenFails(cutHeader, "truncated");
});
