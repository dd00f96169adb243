import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compute, toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { open } from "../../src/dataset/open.js";
import {
  consolidateMetadata,
  createZarrArray,
  createZarrGroup,
} from "../../src/formats/zarr/index.js";
import { FsStore } from "../../src/storage/fs-store.js";
import { FormatError } from "../../src/util/errors.js";
import { dae, fixture, python, tempDir } from "../helpers.js";
import { assertCliError, assertNotComplete, assertUserError } from "./expect.js";

/**
 * A Zarr store with one int16 array `a` (8 × 6, chunks 2 × 3: 4 × 2 chunks) and complete
 * consolidated metadata, whose chunk `a/<badKey>` is then replaced by `garbage`.
 */
async function zarrWithBadChunk(
  dir: string,
  zarrFormat: 2 | 3,
  badKey: string,
  garbage: Uint8Array,
): Promise<string> {
  const root = path.join(dir, `src-v${zarrFormat}.zarr`);
  const store = new FsStore(root, true);
  const a = await createZarrArray(store, "a", {
    shape: [8, 6],
    dtype: "int16",
    dims: ["y", "x"],
    chunks: [2, 3],
    fillValue: 0,
    compressor: "gzip",
    zarrFormat,
  });
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 2; j++)
      await a.writeChunk(
        [i, j],
        Int16Array.from({ length: 6 }, (_, k) => 100 * i + 10 * j + k + 1),
      );
  await createZarrGroup(store, "", {}, zarrFormat);
  await consolidateMetadata(store, "", zarrFormat);
  writeFileSync(path.join(root, "a", ...badKey.split("/")), garbage);
  return root;
}

const GARBAGE = new TextEncoder().encode("this is not a gzip stream at all, just text");

test("a garbage chunk met in the middle of toZarr/compute: the error names file and chunk; the output is not complete", async (t) => {
  const dir = tempDir(t);
  for (const [zarrFormat, key] of [
    [2, "2.1"],
    [3, "c/2/1"],
  ] as const) {
    const src = await zarrWithBadChunk(dir, zarrFormat, key, GARBAGE);
    const { vars } = await openDataset(src);
    for (const executor of ["inline", "threads"] as const) {
      const out = path.join(dir, `out-v${zarrFormat}-${executor}.zarr`);
      await assert.rejects(
        toZarr(vars.a.mul(2).rename("b"), out, { executor, workers: 2, memory: "64MB" }),
        (e) => assertUserError(e, [`${src}:a`, `a/${key}`]),
      );
      assertNotComplete(out);
      await assert.rejects(
        compute([vars.a.sum("x")], { executor, workers: 2, memory: "64MB" }),
        (e) => assertUserError(e, [`${src}:a`, `a/${key}`]),
      );
    }
    // what does not touch the bad chunk still computes
    const [top] = await compute([vars.a.isel({ y: 0 }).sum()], { executor: "inline" });
    assert.equal(top.data[0], 1 + 2 + 3 + 11 + 12 + 13, "row 0 of chunks [0,0] and [0,1]");
  }
});

test("dae convert meeting a garbage or wrong-size chunk: exit 1, one line naming file and chunk, output not complete", async (t) => {
  const dir = tempDir(t);
  const garbage = await zarrWithBadChunk(dir, 2, "3.0", GARBAGE);
  const out = path.join(dir, "out.zarr");
  assertCliError(dae(["convert", garbage, out, "--quiet"]), [`${garbage}:a`, "a/3.0"]);
  assertNotComplete(out);

  // metadata that lies about the dtype: chunks hold int16, .zarray says float64
  const lying = path.join(dir, "lying.zarr");
  const store = new FsStore(lying, true);
  const a = await createZarrArray(store, "a", {
    shape: [4],
    dtype: "int16",
    dims: ["x"],
    chunks: [4],
    fillValue: 0,
    compressor: "none",
    zarrFormat: 2,
  });
  await a.writeChunk([0], Int16Array.from([1, 2, 3, 4]));
  await createZarrGroup(store, "", {}, 2);
  const zarray = path.join(lying, "a", ".zarray");
  writeFileSync(zarray, readFileSync(zarray, "utf8").replace('"<i2"', '"<f8"'));
  const out2 = path.join(dir, "out2.zarr");
  assertCliError(dae(["convert", lying, out2, "--quiet", "--zarr-format", "2"]), [
    `${lying}:a`,
    "chunk a/0",
    "decodes to 8 bytes, expected 32",
  ]);
  assertNotComplete(out2);
});

test("dae info and convert refuse Zarr metadata that lies: 10^24 elements, negative or fractional sizes", async (t) => {
  const dir = tempDir(t);
  const v2 = (name: string, shape: unknown, chunks: unknown) => {
    const root = path.join(dir, `${name}.zarr`);
    const store = new FsStore(root, true);
    return {
      root,
      store,
      zarray: {
        zarr_format: 2,
        shape,
        chunks,
        dtype: "<f4",
        compressor: null,
        fill_value: null,
        filters: null,
        order: "C",
      },
    };
  };
  const cases: [string, unknown, unknown, string][] = [
    ["huge", [1e12, 1e12], [10, 10], "more than 2^53 elements"],
    ["negative", [-5], [2], "shape must be a list of integers >= 0"],
    ["fraction", [4], [1.5], "chunks must be a list of integers >= 1"],
    ["hugechunk", [1e12], [1e12], "more than 2 GiB"],
  ];
  for (const [name, shape, chunks, why] of cases) {
    const { root, store, zarray } = v2(name, shape, chunks);
    await store.set("v/.zarray", new TextEncoder().encode(JSON.stringify(zarray)));
    await store.set(".zgroup", new TextEncoder().encode('{"zarr_format": 2}'));
    await assertOpenFails(root, ["v", why]);
    if (name !== "huge") continue; // the CLI opens the same way: once through it is enough
    assertCliError(dae(["info", root]), [root, "v", why]);
    const out = path.join(dir, `${name}-out.zarr`);
    assertCliError(dae(["convert", root, out]), [root, why]);
    assert.ok(!existsSync(out), "nothing written");
  }
  // 10^12 chunks are fine to describe: nothing allocates per chunk
  const { root, store, zarray } = v2("many", [1e12], [1]);
  await store.set("v/.zarray", new TextEncoder().encode(JSON.stringify(zarray)));
  await store.set(".zgroup", new TextEncoder().encode('{"zarr_format": 2}'));
  const info = dae(["info", "--json", root]);
  assert.equal(info.code, 0, info.stderr);
  assert.deepEqual(JSON.parse(info.stdout).variables.v.shape, [1e12]);
});

/** Asserts that opening `file` as the CLI does, and reading each variable's first chunk, fails with a one-line user error naming it and `parts`. */
async function assertOpenFails(file: string, parts: string[]): Promise<void> {
  await assert.rejects(
    async () => {
      const ds = await open(file);
      try {
        for (const v of ds.variables.values())
          if (v.shape.every((n) => n > 0)) await v.array.readChunk(v.shape.map(() => 0));
      } finally {
        await ds.close();
      }
    },
    (e) => assertUserError(e, [file, ...parts]),
  );
}

/** Finds `needle` in `bytes` (the first occurrence after `from`). */
function indexOfBytes(bytes: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(
    Buffer.from(needle),
    from,
  );
}

test("dae info/convert on malformed NetCDF-3: absurd counts and lengths, a cut file: exit 1 naming the file", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const dir = tempDir(t);
  const bytes = readFileSync(src);
  const variant = (name: string, edit: (b: Buffer) => Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, edit(Buffer.from(bytes)));
    return file;
  };
  // header: "CDF\x02", numrecs, NC_DIMENSION, ndims at byte 12, then the first dim's name and length
  const lonName = indexOfBytes(bytes, new TextEncoder().encode("longitude"));
  assert.equal(bytes.readUInt32BE(lonName + 12), 480, "longitude's length follows its padded name");
  const cases: [string, (b: Buffer) => Buffer, string][] = [
    ["ndims.nc", (b) => (b.writeUInt32BE(0x7fffffff, 12), b), "2147483647 dimensions"],
    ["dimlen.nc", (b) => (b.writeUInt32BE(0x7ffffff0, lonName + 12), b), "variable"],
    ["negative.nc", (b) => (b.writeUInt32BE(0xfffffff0, lonName + 12), b), "negative"],
    [
      "namelen.nc",
      (b) => (b.writeUInt32BE(0x7fffffff, lonName - 4), b),
      "2147483647 bytes in the name",
    ],
    ["cut.nc", (b) => b.subarray(0, 2_000_000), "past the end"],
    ["cut-header.nc", (b) => b.subarray(0, 700), "truncated"],
    [
      "empty.nc",
      () => Buffer.alloc(0),
      "not a Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3 file",
    ],
  ];
  for (const [name, edit, why] of cases) {
    const file = variant(name, edit);
    await assertOpenFails(file, [why]);
  }
  // the CLI opens the same way: a few cases through it
  for (const name of ["ndims.nc", "empty.nc"]) {
    const why = cases.find((c) => c[0] === name)![2];
    assertCliError(dae(["info", path.join(dir, name)]), [path.join(dir, name), why]);
  }
  const out = path.join(dir, "cut.zarr");
  assertCliError(dae(["convert", path.join(dir, "cut.nc"), out]), [
    path.join(dir, "cut.nc"),
    "past the end",
  ]);
  assert.ok(!existsSync(out), "nothing written");
});

test("dae info/convert on malformed TIFFs: a looping IFD chain, absurd counts, tiles past the end", async (t) => {
  const src = fixture(t, "geotiff/z500_m1_deflate_cog.tif");
  if (!src) return;
  const dir = tempDir(t);
  const bytes = readFileSync(src);
  const ifd0 = bytes.readUInt32LE(4);
  const entries = bytes.readUInt16LE(ifd0);
  const variant = (name: string, edit: (b: Buffer) => Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, edit(Buffer.from(bytes)));
    return file;
  };
  const withTag = (tag: number, edit: (b: Buffer, at: number) => void) => (b: Buffer) => {
    for (let e = 0; e < entries; e++)
      if (b.readUInt16LE(ifd0 + 2 + e * 12) === tag) edit(b, ifd0 + 2 + e * 12);
    return b;
  };
  const cases: [string, (b: Buffer) => Buffer, string][] = [
    ["loop.tif", (b) => (b.writeUInt32LE(ifd0, ifd0 + 2 + entries * 12), b), "loops back"],
    ["entries.tif", (b) => (b.writeUInt16LE(0xffff, ifd0), b), "65535 entries"],
    ["width.tif", withTag(256, (b, at) => b.writeUInt32LE(0x7fffffff, at + 8)), "tile offsets"],
    [
      "tilecount.tif",
      withTag(324, (b, at) => b.writeUInt32LE(0x7fffffff, at + 4)),
      "2147483647 values",
    ],
    ["offset.tif", (b) => (b.writeUInt32LE(0x7ffffff0, 4), b), "beyond the end of the file"],
  ];
  for (const [name, edit, why] of cases) await assertOpenFails(variant(name, edit), [why]);
  // the CLI opens the same way: one case through it
  const loop = path.join(dir, "loop.tif");
  assertCliError(dae(["info", loop]), [loop, "loops back"]);
  // the header and IFDs survive, the second half of the tiles does not: convert fails mid-way
  const half = variant("half.tif", (b) => b.subarray(0, b.length >> 1));
  const out = path.join(dir, "half.zarr");
  assertCliError(dae(["convert", half, out, "--quiet"]), [
    `${half}:band_data`,
    "TIFF tile",
    "past the end of the file",
  ]);
  assertNotComplete(out);
});

test("dae info/convert on broken HDF5: cut short, a damaged chunk met mid-convert", async (t) => {
  const src = fixture(t, "eraint_uvz_nc4.nc");
  if (!src) return;
  const dir = tempDir(t);
  const cut = path.join(dir, "cut.nc");
  const damaged = path.join(dir, "damaged.nc");
  python(`
import h5py
data = open(${JSON.stringify(src)}, "rb").read()
open(${JSON.stringify(cut)}, "wb").write(data[:1_000_000])
info = h5py.File(${JSON.stringify(src)}, "r")["u"].id.get_chunk_info_by_coord((1, 1, 121, 0))
damaged = bytearray(data)
damaged[info.byte_offset + 10 : info.byte_offset + info.size] = b"\\xff" * (info.size - 10)
open(${JSON.stringify(damaged)}, "wb").write(damaged)
print("null")
`);
  assertCliError(dae(["info", cut]), [cut, "truncated"]);
  const out = path.join(dir, "damaged.zarr");
  assertCliError(dae(["convert", damaged, out, "--quiet", "--variables", "u"]), [
    `${damaged}:u`,
    "chunk [1,1,1,0]",
  ]);
  assertNotComplete(out);
  // the library meets the same chunk through the engine
  const { vars } = await openDataset(damaged);
  const slab = vars.u.isel({ month: 1, level: 1 }).mean("longitude");
  await assert.rejects(compute([slab], { executor: "inline" }), (e) =>
    assertUserError(e, [`${damaged}:u`, "chunk [1,1,1,0]"], FormatError),
  );
});
