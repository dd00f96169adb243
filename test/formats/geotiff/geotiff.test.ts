import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import fc from "fast-check";
import { openGeotiff } from "../../../src/formats/geotiff/index.js";
import { FileSource } from "../../../src/storage/fs-store.js";
import { HttpSource } from "../../../src/storage/http-store.js";
import { readBox } from "../../../src/array/read-box.js";
import type { ChunkedArray } from "../../../src/array/chunked-array.js";
import type { DType, TypedArray } from "../../../src/array/dtype.js";
import type { RawDataset } from "../../../src/formats/raw-dataset.js";
import { DaeError, FormatError } from "../../../src/util/errors.js";
import { fixture, tempDir } from "../../helpers.js";
import { serveFiles } from "../../http-server.js";
import { assertSameValues, gdalInfo, gdalPixels, gdalTranslate } from "./gdal.js";

async function open(t: TestContext, file: string): Promise<RawDataset> {
  const ds = await openGeotiff(new FileSource(file));
  t.after(() => ds.close?.());
  return ds;
}

function variable(ds: RawDataset, name: string): ChunkedArray {
  const v = ds.variables.get(name);
  assert.ok(v, `${ds.source} has no variable ${name}`);
  return v;
}

async function readAll(a: ChunkedArray): Promise<TypedArray> {
  return readBox(
    a,
    a.shape.map(() => 0),
    a.shape,
  );
}

/**
 * Checks `file` against GDAL: shape, blocks, every pixel, coordinates, nodata, overviews.
 * `pixelsFrom` is a file with the same pixels for GDAL to export, when `file` is one that
 * GDAL's raw (ENVI) writer refuses (a rotated geotransform).
 */
async function assertMatchesGdal(
  t: TestContext,
  file: string,
  dtype: DType,
  pixelsFrom?: string,
): Promise<RawDataset> {
  const info = gdalInfo(file);
  const ds = await open(t, file);
  const data = variable(ds, "band_data");
  const [width, height] = info.size;
  const bands = info.bands.length;
  assert.deepEqual(data.shape, [bands, height, width]);
  assert.deepEqual(data.dims, ["band", "y", "x"]);
  assert.equal(data.dtype, dtype);
  const [blockX, blockY] = info.bands[0].block;
  const [, chunkY, chunkX] = data.chunks.chunkShape;
  assert.deepEqual([Math.min(chunkY, height), chunkX], [Math.min(blockY, height), blockX]);
  assertSameValues(
    (await readAll(data)) as Float32Array,
    gdalPixels(pixelsFrom ?? file, tempDir(t), dtype) as Float32Array,
    `${path.basename(file)} pixels`,
  );
  assert.deepEqual(
    [...(await readAll(variable(ds, "band")))],
    Array.from({ length: bands }, (_, b) => b + 1),
  );
  const gt = info.geoTransform ?? [0, 1, 0, 0, 0, 1];
  if (gt[2] === 0 && gt[4] === 0) {
    const x = await readAll(variable(ds, "x"));
    const y = await readAll(variable(ds, "y"));
    assertSameValues(
      x as Float64Array,
      Array.from({ length: width }, (_, i) => gt[0] + (i + 0.5) * gt[1]),
      "x",
    );
    assertSameValues(
      y as Float64Array,
      Array.from({ length: height }, (_, j) => gt[3] + (j + 0.5) * gt[5]),
      "y",
    );
  }
  const nodata = info.bands[0].noDataValue;
  if (nodata === undefined) assert.equal(data.attrs._FillValue, undefined);
  else {
    assert.ok(
      Object.is(data.attrs._FillValue, Number(nodata)),
      `_FillValue ${data.attrs._FillValue}, GDAL says ${nodata}`,
    );
    assert.ok(Object.is(data.fillValue, Number(nodata)));
  }
  assert.equal((data.encoding?.overviews as string[]).length, info.bands[0].overviews?.length ?? 0);
  return ds;
}

test("the shared GeoTIFF fixtures read equal to what GDAL reads", async (t) => {
  const cases: [string, DType][] = [
    ["geotiff/z500_m1_deflate_cog.tif", "float32"],
    ["geotiff/z_6bands_zstd_tiled.tif", "float32"],
    ["geotiff/basin_z0_lzw_cog.tif", "int8"],
  ];
  for (const [name, dtype] of cases) {
    const file = fixture(t, name);
    if (!file) return;
    await t.test(name, async (t) => {
      const ds = await assertMatchesGdal(t, file, dtype);
      const data = variable(ds, "band_data");
      // pixel-interleaved bands share tiles: one chunk spans every band
      assert.equal(data.chunks.chunkShape[0], data.shape[0]);
      assert.equal(data.attrs.AREA_OR_POINT, "Area");
      // GDAL copied the NetCDF packing attributes as plain metadata of unpacked values;
      // like rioxarray, they must not reach band_data, or values would be unpacked twice
      assert.equal(data.attrs.scale_factor, undefined);
    });
  }
});

test("GDAL-written variants: strips, separate planes, predictors, codecs, big-endian BigTIFF, CRS", async (t) => {
  const z500 = fixture(t, "geotiff/z500_m1_deflate_cog.tif");
  const bands6 = fixture(t, "geotiff/z_6bands_zstd_tiled.tif");
  const basin = fixture(t, "geotiff/basin_z0_lzw_cog.tif");
  if (!z500 || !bands6 || !basin) return;
  const dir = tempDir(t);
  const co = (...options: string[]) => options.flatMap((o) => ["-co", o]);
  const variants: {
    name: string;
    src: string;
    args: string[];
    dtype: DType;
    check?: (ds: RawDataset) => void;
  }[] = [
    {
      name: "striped-lzw-fp",
      src: z500,
      args: co("TILED=NO", "BLOCKYSIZE=10", "COMPRESS=LZW", "PREDICTOR=3"),
      dtype: "float32",
    },
    {
      name: "striped-deflate-int16-pred2",
      src: basin,
      args: ["-ot", "Int16", ...co("TILED=NO", "BLOCKYSIZE=7", "COMPRESS=DEFLATE", "PREDICTOR=2")],
      dtype: "int16",
    },
    {
      name: "separate-planes-zstd",
      src: bands6,
      args: co(
        "INTERLEAVE=BAND",
        "TILED=YES",
        "BLOCKXSIZE=64",
        "BLOCKYSIZE=48",
        "COMPRESS=ZSTD",
        "PREDICTOR=3",
      ),
      dtype: "float32",
      check: (ds) => assert.deepEqual(variable(ds, "band_data").chunks.chunkShape, [1, 48, 64]),
    },
    {
      name: "bigendian-bigtiff-float64",
      src: z500,
      args: [
        "-ot",
        "Float64",
        ...co("ENDIANNESS=BIG", "BIGTIFF=YES", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"),
      ],
      dtype: "float64",
      check: (ds) => {
        const enc = variable(ds, "band_data").encoding!;
        assert.equal(enc.byteOrder, "big");
        assert.equal(enc.bigTiff, true);
      },
    },
    {
      // 480 tiles: the offset tables lie outside the slice geotiff.js reads with the IFD
      name: "bigendian-many-tiles",
      src: z500,
      args: co("ENDIANNESS=BIG", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"),
      dtype: "float32",
    },
    {
      name: "bigendian-int16-pred2",
      src: z500,
      args: [
        "-ot",
        "Int16",
        "-scale",
        "40000",
        "60000",
        "-30000",
        "30000",
        ...co(
          "ENDIANNESS=BIG",
          "COMPRESS=DEFLATE",
          "PREDICTOR=2",
          "TILED=YES",
          "BLOCKXSIZE=96",
          "BLOCKYSIZE=32",
        ),
      ],
      dtype: "int16",
    },
    {
      name: "bigendian-uint32-pred2-6bands-striped",
      src: bands6,
      args: [
        "-ot",
        "UInt32",
        "-scale",
        "0",
        "120000",
        "0",
        "4000000000",
        ...co("ENDIANNESS=BIG", "COMPRESS=LZW", "PREDICTOR=2", "TILED=NO", "BLOCKYSIZE=20"),
      ],
      dtype: "uint32",
    },
    {
      name: "uint16-epsg4326-point",
      src: basin,
      args: [
        "-ot",
        "UInt16",
        "-a_srs",
        "EPSG:4326",
        "-mo",
        "AREA_OR_POINT=Point",
        "-a_nodata",
        "999",
      ],
      dtype: "uint16",
      check: (ds) => {
        assert.equal(ds.attrs.crs_epsg, 4326);
        assert.equal(variable(ds, "band_data").attrs.AREA_OR_POINT, "Point");
        assert.equal(variable(ds, "band_data").fillValue, 999);
        assert.equal(variable(ds, "x").attrs.standard_name, "longitude");
      },
    },
    {
      name: "int32-utm-packbits",
      src: z500,
      args: ["-ot", "Int32", "-a_srs", "EPSG:32633", ...co("COMPRESS=PACKBITS", "TILED=YES")],
      dtype: "int32",
      check: (ds) => assert.equal(ds.attrs.crs_epsg, 32633),
    },
  ];
  for (const v of variants) {
    await t.test(v.name, async (t) => {
      const file = path.join(dir, `${v.name}.tif`);
      gdalTranslate(v.src, file, v.args);
      const ds = await assertMatchesGdal(t, file, v.dtype);
      v.check?.(ds);
    });
  }
});

test("a rotated geotransform gives no x/y coordinates but the transform GDAL reports", async (t) => {
  const z500 = fixture(t, "geotiff/z500_m1_deflate_cog.tif");
  if (!z500) return;
  const dir = tempDir(t);
  const vrt = path.join(dir, "rotated.vrt");
  gdalTranslate(z500, vrt, ["-of", "VRT"]);
  const text = readFileSync(vrt, "utf8").replace(
    /<GeoTransform>[^<]*<\/GeoTransform>/,
    "<GeoTransform>100, 0.7, 0.1, 50, 0.2, -0.7</GeoTransform>",
  );
  writeFileSync(vrt, text);
  const file = path.join(dir, "rotated.tif");
  gdalTranslate(vrt, file, []);
  const ds = await assertMatchesGdal(t, file, "float32", z500);
  assert.equal(ds.variables.has("x"), false);
  assert.equal(ds.variables.has("y"), false);
  const gt = gdalInfo(file).geoTransform!;
  (ds.attrs.geotransform as number[]).forEach((v, i) =>
    assert.ok(Math.abs(v - gt[i]) < 1e-12, `geotransform ${ds.attrs.geotransform} vs ${gt}`),
  );
});

test("readBox over random windows equals the same box of GDAL's pixels", async (t) => {
  const bands6 = fixture(t, "geotiff/z_6bands_zstd_tiled.tif");
  if (!bands6) return;
  const dir = tempDir(t);
  const separate = path.join(dir, "separate.tif");
  gdalTranslate(bands6, separate, [
    "-co",
    "INTERLEAVE=BAND",
    "-co",
    "TILED=YES",
    "-co",
    "BLOCKXSIZE=48",
    "-co",
    "BLOCKYSIZE=80",
  ]);
  for (const file of [bands6, separate]) {
    const data = variable(await open(t, file), "band_data");
    const full = gdalPixels(file, dir, "float32") as Float32Array;
    const [nb, ny, nx] = data.shape;
    const range = (n: number) =>
      fc
        .tuple(fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }))
        .map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
    await fc.assert(
      fc.asyncProperty(fc.tuple(range(nb), range(ny), range(nx)), async (box) => {
        const start = box.map((r) => r[0]);
        const stop = box.map((r) => r[1]);
        const got = await readBox(data, start, stop);
        const want: number[] = [];
        for (let b = start[0]; b < stop[0]; b++)
          for (let y = start[1]; y < stop[1]; y++)
            for (let x = start[2]; x < stop[2]; x++) want.push(full[(b * ny + y) * nx + x]);
        assertSameValues(got as Float32Array, want, `box ${start}..${stop}`);
      }),
      { numRuns: 60 },
    );
  }
});

test("a GeoTIFF read over HTTP equals the local read, and one tile costs a fraction of the file", async (t) => {
  const file = fixture(t, "geotiff/z500_m1_deflate_cog.tif");
  if (!file) return;
  const server = await serveFiles(path.dirname(file));
  t.after(() => server.close());
  const url = `${server.url}/${path.basename(file)}`;
  const fileSize = readFileSync(file).length;

  const remote = await openGeotiff(new HttpSource(url));
  const tile = await variable(remote, "band_data").readChunk([0, 1, 2]);
  const local = variable(await open(t, file), "band_data");
  assert.deepEqual(tile, await local.readChunk([0, 1, 2]));
  const gets = server.requests.filter((r) => r.method === "GET");
  assert.ok(
    gets.length > 0 && gets.every((r) => r.range !== undefined && r.status === 206),
    "only range requests",
  );
  assert.ok(
    server.bytesSent() < fileSize / 2,
    `sent ${server.bytesSent()} of ${fileSize} bytes for one tile`,
  );

  assertSameValues(
    (await readAll(variable(remote, "band_data"))) as Float32Array,
    (await readAll(local)) as Float32Array,
    "over HTTP",
  );
  for (const name of ["x", "y", "band"])
    assert.deepEqual(
      await readAll(variable(remote, name)),
      await readAll(variable(await open(t, file), name)),
    );
});

/** Opens `file` and reads every chunk of band_data. */
async function openAndReadAll(file: string): Promise<void> {
  const source = new FileSource(file);
  try {
    await readAll(variable(await openGeotiff(source), "band_data"));
  } finally {
    await source.close();
  }
}

function assertOneLineFormatError(e: unknown, pattern: RegExp): true {
  assert.ok(e instanceof FormatError, `expected a FormatError, got ${e}`);
  assert.match(e.message, pattern);
  assert.doesNotMatch(e.message, /\n/);
  return true;
}

test("truncated and corrupted TIFFs give one-line FormatErrors naming the file (and tile)", async (t) => {
  const src = fixture(t, "geotiff/z500_m1_deflate_cog.tif");
  if (!src) return;
  const dir = tempDir(t);
  const bytes = readFileSync(src);
  const le = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ifd0 = le.getUint32(4, true);
  const entries = le.getUint16(ifd0, true);
  const variant = (name: string, edit: (b: Buffer) => Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, edit(Buffer.from(bytes)));
    return file;
  };
  const quoted = (file: string) => file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  const tiny = variant("tiny.tif", (b) => b.subarray(0, 5));
  await assert.rejects(openAndReadAll(tiny), (e) =>
    assertOneLineFormatError(
      e,
      new RegExp(`^${quoted(tiny)}: not a valid TIFF: the file has only 5 bytes`),
    ),
  );

  const headerOnly = variant("header-only.tif", (b) => b.subarray(0, ifd0 + 40));
  await assert.rejects(openAndReadAll(headerOnly), (e) =>
    assertOneLineFormatError(e, /header-only\.tif: not a valid TIFF: IFD 0 .*truncated/),
  );

  // the header and IFDs survive, the tiles do not
  const half = variant("half.tif", (b) => b.subarray(0, b.length >> 1));
  await assert.rejects(openAndReadAll(half), (e) =>
    assertOneLineFormatError(
      e,
      /half\.tif:band_data: chunk \[0,\d+,\d+\] \(TIFF tile \d+, .*past the end of the file/,
    ),
  );

  const loop = variant("loop.tif", (b) => {
    b.writeUInt32LE(ifd0, ifd0 + 2 + entries * 12);
    return b;
  });
  await assert.rejects(openAndReadAll(loop), (e) =>
    assertOneLineFormatError(e, /loop\.tif: not a valid TIFF: the IFD chain loops back to byte/),
  );

  const manyEntries = variant("many-entries.tif", (b) => {
    b.writeUInt16LE(0xffff, ifd0);
    return b;
  });
  await assert.rejects(openAndReadAll(manyEntries), (e) =>
    assertOneLineFormatError(e, /claims 65535 entries/),
  );

  const hugeCount = variant("huge-count.tif", (b) => {
    for (let e = 0; e < entries; e++) {
      const at = ifd0 + 2 + e * 12;
      if (b.readUInt16LE(at) === 324) b.writeUInt32LE(0x7fffffff, at + 4); // TileOffsets
    }
    return b;
  });
  await assert.rejects(openAndReadAll(hugeCount), (e) =>
    assertOneLineFormatError(e, /tag 324 claims 2147483647 values/),
  );

  const badMagic = variant("bad-magic.tif", (b) => {
    b.writeUInt16LE(44, 2);
    return b;
  });
  await assert.rejects(openAndReadAll(badMagic), (e) =>
    assertOneLineFormatError(e, /bad-magic\.tif: not a valid TIFF: magic number 44/),
  );
});

test("random byte corruption gives a DaeError or a read, never another error or a hang", async (t) => {
  const src = fixture(t, "geotiff/basin_z0_lzw_cog.tif");
  if (!src) return;
  const dir = tempDir(t);
  const file = path.join(dir, "corrupt.tif");
  const bytes = readFileSync(src);
  const warn = console.warn; // geotiff.js's LZW decoder warns when it runs off a damaged tile
  console.warn = () => undefined;
  t.after(() => (console.warn = warn));
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2047 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.integer({ min: 8, max: bytes.length }),
      async (edits, length) => {
        const copy = Buffer.from(bytes.subarray(0, length));
        for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
        writeFileSync(file, copy);
        try {
          await openAndReadAll(file);
        } catch (e) {
          assert.ok(e instanceof DaeError, `not a DaeError: ${(e as Error).stack}`);
          assert.doesNotMatch(e.message, /\n/);
        }
      },
    ),
    { numRuns: 300 },
  );
  copyFileSync(src, file); // the untouched file still reads
  await openAndReadAll(file);
});
