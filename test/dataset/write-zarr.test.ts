import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import type { ChunkedArray } from "../../src/array/chunked-array.js";
import { ChunkGrid, DimChunks } from "../../src/array/chunk-grid.js";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { readBox } from "../../src/array/read-box.js";
import { datasetFromRaw, type Dataset } from "../../src/dataset/dataset.js";
import { writeDatasetZarr, type WriteProgress } from "../../src/dataset/write-zarr.js";
import { outputChunkShape, TARGET_CHUNK_BYTES } from "../../src/dataset/output-chunks.js";
import { isZarr, openZarr } from "../../src/formats/zarr/index.js";
import type { RawDataset } from "../../src/formats/raw-dataset.js";
import { FsStore } from "../../src/storage/fs-store.js";
import { DaeError, InputError } from "../../src/util/errors.js";
import { assertClose, python, tempDir } from "../helpers.js";

const NT = 5;
const NY = 7;
const NX = 9;

/** A small dataset as a reader would return it: packed int16, a noleap time axis, coordinates. */
function sampleDataset(calendar = "noleap"): Dataset {
  const packed = Int16Array.from({ length: NT * NY * NX }, (_, i) => ((i * 7919) % 60000) - 30000);
  packed[3] = -32768; // a missing value
  const variables = new Map<string, ChunkedArray>([
    [
      "t2m",
      fromTypedArray(packed, {
        shape: [NT, NY, NX],
        dims: ["time", "lat", "lon"],
        chunks: [2, 4, 4],
        source: "mem:t2m",
        attrs: {
          scale_factor: 0.002,
          add_offset: 273.15,
          _FillValue: -32768,
          units: "K",
          long_name: "2 m temperature",
        },
      }),
    ],
    [
      "time",
      fromTypedArray(Int32Array.from([0, 31, 59, 90, 365]), {
        shape: [NT],
        dims: ["time"],
        source: "mem:time",
        attrs: { units: "days since 2001-01-01 00:00:00", calendar, standard_name: "time" },
      }),
    ],
    [
      "lat",
      fromTypedArray(
        Float32Array.from({ length: NY }, (_, i) => 60 - i * 10),
        { shape: [NY], dims: ["lat"], source: "mem:lat", attrs: { units: "degrees_north" } },
      ),
    ],
    [
      "lon",
      fromTypedArray(
        Float64Array.from({ length: NX }, (_, i) => i * 40),
        { shape: [NX], dims: ["lon"], source: "mem:lon", attrs: { units: "degrees_east" } },
      ),
    ],
    [
      "level",
      fromTypedArray(Int32Array.from([850]), { shape: [1], dims: ["level"], source: "mem:level" }),
    ],
  ]);
  const raw: RawDataset = {
    format: "zarr-v2",
    source: "mem",
    variables,
    attrs: { title: "sample", Conventions: "CF-1.8" },
  };
  return datasetFromRaw(raw);
}

async function allValues(a: ChunkedArray): Promise<number[]> {
  return [
    ...((await readBox(
      a,
      a.shape.map(() => 0),
      a.shape,
    )) as Float64Array),
  ];
}

test("v2 output opens in xarray + zarr 2 with the same values, dims, coords, attrs and time", async (t) => {
  const dir = tempDir(t);
  for (const calendar of ["noleap", "standard"]) {
    const out = path.join(dir, `${calendar}.zarr`);
    const ds = sampleDataset(calendar);
    const progress: WriteProgress[] = [];
    const summary = await writeDatasetZarr(ds, out, {
      zarrFormat: 2,
      chunks: { lat: 3 },
      onProgress: (p) => progress.push(p),
    });
    assert.equal(progress.at(-1)!.chunksDone, summary.chunks);
    const got = python<{
      dims: Record<string, string[]>;
      dtypes: Record<string, string>;
      coords: string[];
      attrs: Record<string, unknown>;
      t2mAttrs: Record<string, unknown>;
      t2m: (number | null)[];
      time: number[];
      calendar: string;
      chunks: number[];
    }>(`
import cftime
ds = xr.open_zarr(${JSON.stringify(out)}, consolidated=True)
t = ds.time.values
if t.dtype.kind == "M":
    secs = ((t - np.datetime64("1970-01-01")) / np.timedelta64(1, "s")).astype(float).tolist()
else:
    secs = [float(cftime.date2num(d, "seconds since 1970-01-01", ds.time.encoding["calendar"])) for d in t]
print(json.dumps({
  "dims": {k: list(v.dims) for k, v in ds.variables.items()},
  "dtypes": {k: str(v.dtype) for k, v in ds.variables.items() if k != "time"},
  "coords": sorted(ds.coords),
  "attrs": ds.attrs,
  "t2mAttrs": ds.t2m.attrs,
  "t2m": [None if np.isnan(x) else float(x) for x in ds.t2m.values.ravel()],
  "time": secs,
  "calendar": ds.time.encoding["calendar"],
  "chunks": list(ds.t2m.encoding["chunks"]),
}))
`);
    assert.deepEqual(got.dims, {
      t2m: ["time", "lat", "lon"],
      time: ["time"],
      lat: ["lat"],
      lon: ["lon"],
      level: ["level"],
    });
    assert.deepEqual(got.dtypes, {
      t2m: "float32",
      lat: "float32",
      lon: "float64",
      level: "int32",
    });
    assert.deepEqual(got.coords, ["lat", "level", "lon", "time"]);
    assert.deepEqual(got.attrs, { title: "sample", Conventions: "CF-1.8" });
    assert.deepEqual(got.t2mAttrs, { units: "K", long_name: "2 m temperature" });
    assert.deepEqual(got.chunks, [2, 3, 4]);
    const t2m = ds.variables.get("t2m")!;
    assertClose(await allValues(t2m.array), got.t2m, 0, 0, "t2m");
    assert.equal(got.t2m[3], null);
    assert.deepEqual(got.time, await allValues(ds.variables.get("time")!.array));
    assert.equal(got.calendar, calendar);
  }
});

test("v3 output (sharded or not) reads back through our reader with equal values and time axis", async (t) => {
  const dir = tempDir(t);
  const ds = sampleDataset("360_day");
  for (const [name, options] of [
    ["plain.zarr", {}],
    [
      "sharded.zarr",
      { chunks: { time: 1, lat: 2 }, shards: { time: 2, lat: 4 }, compressor: "blosc" as const },
    ],
  ] as const) {
    const out = path.join(dir, name);
    await writeDatasetZarr(ds, out, options);
    const back = datasetFromRaw(await openZarr(new FsStore(out)));
    assert.equal(back.format, "zarr-v3");
    assert.deepEqual(back.attrs, ds.attrs);
    assert.deepEqual([...back.variables.keys()].sort(), [...ds.variables.keys()].sort());
    assert.deepEqual(back.coords.sort(), ["lat", "level", "lon", "time"]);
    for (const [k, v] of ds.variables) {
      const w = back.variables.get(k)!;
      assert.deepEqual(w.dims, v.dims, k);
      assert.deepEqual(w.attrs, v.attrs, k);
      assert.deepEqual(await allValues(w.array), await allValues(v.array), k);
    }
    assert.deepEqual(back.variables.get("time")!.time, {
      calendar: "360_day",
      units: "days since 2001-01-01 00:00:00",
    });
  }
});

test("an existing target is refused unless overwrite; overwrite refuses a non-Zarr directory", async (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, "o.zarr");
  await writeDatasetZarr(sampleDataset(), out, { zarrFormat: 2 });
  await assert.rejects(
    writeDatasetZarr(sampleDataset(), out),
    /o\.zarr: already exists \(overwrite it with --overwrite\)/,
  );
  await writeDatasetZarr(sampleDataset(), out, { overwrite: true });
  assert.ok(existsSync(path.join(out, "zarr.json")) && !existsSync(path.join(out, ".zmetadata")));
  await assert.rejects(
    writeDatasetZarr(sampleDataset(), dir, { overwrite: true }),
    /exists and is not a Zarr store; refusing/,
  );
});

test("bad chunk and shard options are one-line input errors naming the dimension", async (t) => {
  const out = path.join(tempDir(t), "o.zarr");
  await assert.rejects(writeDatasetZarr(sampleDataset(), out, { chunks: { depth: 2 } }), {
    name: "InputError",
    message: 'chunks: no dimension "depth" (dimensions: time, lat, lon, level)',
  });
  await assert.rejects(
    writeDatasetZarr(sampleDataset(), out, { chunks: { lat: 0 } }),
    /chunks: size of lat must be a positive integer/,
  );
  await assert.rejects(
    writeDatasetZarr(sampleDataset(), out, { zarrFormat: 2, shards: { lat: 4 } }),
    InputError,
  );
  await assert.rejects(
    writeDatasetZarr(sampleDataset(), out, { chunks: { lat: 3 }, shards: { lat: 4 } }),
    /not a multiple/,
  );
  assert.ok(!existsSync(out), "nothing is written when the options are bad");
});

test("an interrupted write never looks complete: no root metadata, xarray refuses it", async (t) => {
  const out = path.join(tempDir(t), "partial.zarr");
  const ds = sampleDataset();
  const t2m = ds.variables.get("t2m")!;
  let reads = 0;
  const failing: ChunkedArray = {
    ...t2m.array,
    readChunk: async (coords) => {
      if (++reads > 3) throw new DaeError("disk on fire");
      return t2m.array.readChunk(coords);
    },
  };
  ds.variables.set("t2m", { ...t2m, array: failing });
  await assert.rejects(
    writeDatasetZarr(ds, out, { zarrFormat: 2, concurrency: 1 }),
    /disk on fire/,
  );
  assert.equal(await isZarr(new FsStore(out)), false);
  assert.ok(existsSync(path.join(out, "t2m", ".zarray")), "the arrays were being written");
  const opened = python<boolean>(`
try:
    xr.open_zarr(${JSON.stringify(out)})
    print("true")
except Exception:
    print("false")
`);
  assert.equal(opened, false);
  // and it can be replaced by a complete one
  await writeDatasetZarr(sampleDataset(), out, { zarrFormat: 2, overwrite: true });
  assert.equal(await isZarr(new FsStore(out)), true);
});

test("writing goes chunk by chunk: each source chunk is decoded once, output chunks need not line up", async (t) => {
  const shape = [300, 400];
  const grid = ChunkGrid.regular(shape, [70, 90]);
  const decodes = new Map<string, number>();
  const source: ChunkedArray = {
    source: "computed",
    shape,
    dtype: "float64",
    dims: ["y", "x"],
    chunks: grid,
    fillValue: null,
    attrs: {},
    async readChunk(coords) {
      decodes.set(String(coords), (decodes.get(String(coords)) ?? 0) + 1);
      const { start, stop } = grid.chunkBox(coords);
      const out = new Float64Array((stop[0] - start[0]) * (stop[1] - start[1]));
      let k = 0;
      for (let i = start[0]; i < stop[0]; i++)
        for (let j = start[1]; j < stop[1]; j++) out[k++] = i * 1000 + j;
      return out;
    },
  };
  const out = path.join(tempDir(t), "c.zarr");
  await writeDatasetZarr({ variables: new Map([["f", { array: source }]]) }, out, {
    chunks: { y: 50, x: 100 },
    concurrency: 1,
  });
  assert.equal(decodes.size, grid.totalCount);
  assert.ok(
    [...decodes.values()].every((n) => n === 1),
    "no source chunk decoded twice",
  );
  const back = (await openZarr(new FsStore(out))).variables.get("f")!;
  assert.deepEqual(back.chunks.chunkShape, [50, 100]);
  const values = await readBox(back, [0, 0], shape);
  assert.ok(values.every((v, k) => v === Math.floor(k / 400) * 1000 + (k % 400)));
});

test("default output chunks: the source's when regular and modest, else ~4 MB split along outer dims", () => {
  assert.deepEqual(
    outputChunkShape(["t", "y", "x"], ChunkGrid.regular([100, 50, 60], [10, 50, 60]), 8),
    [10, 50, 60],
  );
  // one 4 GB chunk (a contiguous NetCDF variable): split the outer dimensions first
  const huge = outputChunkShape(
    ["t", "y", "x"],
    ChunkGrid.regular([1000, 721, 1440], [1000, 721, 1440]),
    4,
  );
  assert.ok(
    huge[0] * huge[1] * huge[2] * 4 <= TARGET_CHUNK_BYTES &&
      huge[0] * huge[1] * huge[2] * 4 > TARGET_CHUNK_BYTES / 4,
    `${huge}`,
  );
  assert.deepEqual(huge, [1, 721, 1440]);
  const irregular = new ChunkGrid([DimChunks.irregular([3, 5, 2]), DimChunks.regular(20, 20)]);
  assert.deepEqual(outputChunkShape(["a", "b"], irregular, 8), [10, 20]);
  assert.deepEqual(outputChunkShape(["a", "b"], irregular, 8, { b: 7 }), [10, 7]);
});
