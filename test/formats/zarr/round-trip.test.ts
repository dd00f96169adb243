import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FsStore } from "../../../src/storage/fs-store.js";
import {
  consolidateMetadata,
  createZarrArray,
  createZarrGroup,
  openZarr,
} from "../../../src/formats/zarr/index.js";
import type { ZarrArrayOptions } from "../../../src/formats/zarr/index.js";
import { readBox } from "../../../src/array/read-box.js";
import {
  allocate,
  isBigInt,
  isFloat,
  type DType,
  type TypedArray,
} from "../../../src/array/dtype.js";
import { sizeOf, type WritableChunkedArray } from "../../../src/array/chunked-array.js";
import { copyBox } from "../../../src/array/copy-box.js";
import { python, tempDir } from "../../helpers.js";

const COMPRESSORS = ["zstd", "blosc", "gzip", "zlib", "lz4", "none"] as const;
const DTYPES: DType[] = [
  "bool",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float16",
  "float32",
  "float64",
];
const SHAPE = [7, 5];

/** Values that every dtype holds exactly (float16 included), with a block of fill values. */
function sample(dtype: DType, fill: number): TypedArray {
  const n = sizeOf(SHAPE);
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / SHAPE[1]);
    const v =
      row < 3 && i % SHAPE[1] < 2
        ? fill
        : dtype === "bool"
          ? i % 2
          : isFloat(dtype)
            ? (i - 10) * 0.25
            : (i * 3) % 100;
    out[i] = (isBigInt(dtype) ? BigInt(v) : v) as never;
  }
  return out;
}

function fillFor(dtype: DType): number {
  return isFloat(dtype) ? NaN : 0;
}

/** Writes `data` (C order, SHAPE) chunk by chunk of `a`'s grid. */
async function writeAll(a: WritableChunkedArray, data: TypedArray): Promise<void> {
  const [n0, n1] = a.chunks.counts;
  for (let i = 0; i < n0; i++)
    for (let j = 0; j < n1; j++) {
      const { start, stop } = a.chunks.chunkBox([i, j]);
      const extent = stop.map((s, d) => s - start[d]);
      const chunk = allocate(a.dtype, sizeOf(extent));
      copyBox(data, SHAPE, start, chunk, extent, [0, 0], extent);
      await a.writeChunk([i, j], chunk);
    }
}

const LAYOUTS = [
  { name: "v2", zarrFormat: 2 as const },
  { name: "v3", zarrFormat: 3 as const },
  { name: "v3 sharded", zarrFormat: 3 as const, shards: [6, 4] },
];

for (const layout of LAYOUTS) {
  test(`round trip ${layout.name}: every compressor × dtype reads back the values written`, async (t) => {
    const dir = tempDir(t);
    const store = new FsStore(dir, true);
    await createZarrGroup(store, "", { title: "round trip" }, layout.zarrFormat);
    const written = new Map<string, TypedArray>();
    for (const compressor of COMPRESSORS)
      for (const dtype of DTYPES) {
        const name = `${compressor}/${dtype}`;
        const fillValue = dtype === "bool" ? false : isBigInt(dtype) ? 0n : fillFor(dtype);
        const options: ZarrArrayOptions = {
          shape: SHAPE,
          dtype,
          dims: ["y", "x"],
          chunks: [3, 2],
          shards: layout.shards,
          fillValue,
          attrs: { units: "m", scale: 0.5 },
          compressor,
          zarrFormat: layout.zarrFormat,
        };
        const data = sample(dtype, fillFor(dtype));
        const a = await createZarrArray(store, name, options);
        if (layout.shards) assert.deepEqual(a.chunks.chunkShape, layout.shards);
        await writeAll(a, data);
        assert.deepEqual(
          await readBox(a, [0, 0], SHAPE),
          data,
          `${name} read through the array written`,
        );
        written.set(name, data);
      }
    const ds = await openZarr(store);
    assert.deepEqual(ds.attrs, { title: "round trip" });
    for (const [name, data] of written) {
      const a = ds.variables.get(name)!;
      assert.ok(a, name);
      assert.deepEqual(a.dims, ["y", "x"]);
      assert.deepEqual(a.attrs, { units: "m", scale: 0.5 });
      assert.deepEqual(await readBox(a, [0, 0], SHAPE), data, `${name} read through openZarr`);
    }
  });
}

test("all-fill chunks are not stored, and writing fill over an old chunk deletes it", async (t) => {
  for (const shards of [undefined, [6, 4]]) {
    const dir = tempDir(t);
    const store = new FsStore(dir, true);
    const a = await createZarrArray(store, "a", {
      shape: [6, 4],
      dtype: "float32",
      dims: ["y", "x"],
      chunks: [3, 2],
      shards,
      fillValue: NaN,
    });
    await a.writeChunk(
      [0, 0],
      Float32Array.from({ length: shards ? 24 : 6 }, (_, i) => i),
    );
    const key = path.join(dir, "a", "c", "0", "0");
    assert.ok(readFileSync(key).length > 0);
    await a.writeChunk([0, 0], new Float32Array(shards ? 24 : 6).fill(NaN));
    assert.throws(() => readFileSync(key), /ENOENT/);
    assert.ok((await a.readChunk([0, 0])).every((v) => Number.isNaN(v)));
  }
});

test("our v2 output reads in python zarr 2 with the same values, dims, attrs and fill values", async (t) => {
  const dir = tempDir(t);
  const store = new FsStore(dir, true);
  await createZarrGroup(store, "", { title: "from dae" }, 2);
  const written: Record<string, { data: number[]; fill: number | string | boolean }> = {};
  for (const compressor of COMPRESSORS)
    for (const dtype of [
      "bool",
      "int16",
      "uint32",
      "int64",
      "float16",
      "float32",
      "float64",
    ] as DType[]) {
      const name = `${compressor}_${dtype}`;
      const fill = fillFor(dtype);
      const a = await createZarrArray(store, name, {
        shape: SHAPE,
        dtype,
        dims: ["lat", "lon"],
        chunks: [3, 2],
        compressor,
        zarrFormat: 2,
        fillValue: dtype === "bool" ? false : isBigInt(dtype) ? 0n : fill,
        attrs: { long_name: name, valid_max: 99 },
      });
      const data = sample(dtype, fill);
      await writeAll(a, data);
      written[name] = {
        data: Array.from(data as ArrayLike<number | bigint>, Number),
        fill: dtype === "bool" ? false : Number.isNaN(fill) ? "NaN" : fill,
      };
    }
  await consolidateMetadata(store, "", 2);
  const got = python<
    Record<
      string,
      { data: (number | boolean | null)[]; attrs: Record<string, unknown>; fill: unknown }
    >
  >(`
import zarr
g = zarr.open_consolidated(${JSON.stringify(dir)}, mode="r")
assert g.attrs["title"] == "from dae"
out = {}
for name, a in g.arrays():
    vals = [None if isinstance(v, float) and v != v else v for v in a[...].ravel().tolist()]
    f = a.fill_value.item() if hasattr(a.fill_value, "item") else a.fill_value
    out[name] = {"data": vals, "attrs": a.attrs.asdict(), "fill": "NaN" if isinstance(f, float) and f != f else f}
print(json.dumps(out))
`);
  assert.deepEqual(Object.keys(got).sort(), Object.keys(written).sort());
  for (const [name, w] of Object.entries(written)) {
    const g = got[name];
    assert.deepEqual(
      g.data.map((v) => (v === null ? NaN : Number(v))),
      w.data,
      name,
    );
    assert.deepEqual(
      g.attrs,
      { long_name: name, valid_max: 99, _ARRAY_DIMENSIONS: ["lat", "lon"] },
      name,
    );
    assert.deepEqual(g.fill, w.fill, name);
  }
});

test("consolidated metadata we write (v2 and v3) is what openZarr lists, nested groups included", async (t) => {
  for (const zarrFormat of [2, 3] as const) {
    const dir = tempDir(t);
    const store = new FsStore(dir, true);
    await createZarrGroup(store, "", { a: 1 }, zarrFormat);
    await createZarrGroup(store, "sub", { b: 2 }, zarrFormat);
    for (const p of ["top", "sub/inner"]) {
      const a = await createZarrArray(store, p, {
        shape: [4],
        dtype: "int32",
        dims: ["t"],
        chunks: [2],
        fillValue: -1,
        zarrFormat,
      });
      await a.writeChunk([1], Int32Array.from([5, 6]));
    }
    await consolidateMetadata(store, "", zarrFormat);
    // remove an array's own metadata: listing must now come from the consolidated copy
    await store.delete(zarrFormat === 2 ? "sub/inner/.zarray" : "sub/inner/zarr.json");
    const ds = await openZarr(store);
    assert.deepEqual([...ds.variables.keys()].sort(), ["sub/inner", "top"]);
    assert.deepEqual(
      [...(await readBox(ds.variables.get("sub/inner")!, [0], [4]))],
      [-1, -1, 5, 6],
    );
    assert.deepEqual(ds.attrs, { a: 1 });
  }
});

test("createZarrArray refuses bad options with one-line InputErrors", async (t) => {
  const store = new FsStore(tempDir(t), true);
  const base: ZarrArrayOptions = {
    shape: [4, 4],
    dtype: "float32",
    dims: ["y", "x"],
    chunks: [2, 2],
    fillValue: NaN,
  };
  await assert.rejects(
    createZarrArray(store, "a", { ...base, shards: [3, 4] }),
    /shards \[3,4\] must be positive multiples of chunks \[2,2\]/,
  );
  await assert.rejects(
    createZarrArray(store, "a", { ...base, shards: [4, 4], zarrFormat: 2 }),
    /sharding needs Zarr v3/,
  );
  await assert.rejects(
    createZarrArray(store, "a", { ...base, shape: [-1, 4] }),
    /shape \[-1,4\] must be integers >= 0/,
  );
  await assert.rejects(
    createZarrArray(store, "a", { ...base, dims: ["y"] }),
    /dims \[y\] do not match shape/,
  );
  await assert.rejects(
    createZarrArray(store, "a", { ...base, dtype: "int16", fillValue: 0.5 }),
    /fill value 0.5 does not fit dtype int16/,
  );
  const a = await createZarrArray(store, "a", base);
  await assert.rejects(
    a.writeChunk([0, 0], new Float64Array(4)),
    /needs 4 values of float32, got 4 in a Float64Array/,
  );
  await assert.rejects(a.writeChunk([2, 0], new Float32Array(4)), /no chunk \[2,0\]/);
});

test("attributes with bare NaN/Infinity (as Python's json writes them) read as numbers", async (t) => {
  const dir = tempDir(t);
  const store = new FsStore(dir, true);
  await createZarrArray(store, "a", {
    shape: [2],
    dtype: "float64",
    dims: ["x"],
    chunks: [2],
    fillValue: NaN,
    zarrFormat: 2,
  });
  writeFileSync(
    path.join(dir, "a", ".zattrs"),
    '{"missing_value": NaN, "range": [-Infinity, Infinity], "_ARRAY_DIMENSIONS": ["x"]}',
  );
  const a = (await openZarr(store)).variables.get("a")!;
  assert.deepEqual(a.attrs, { missing_value: NaN, range: [-Infinity, Infinity] });
  assert.ok(Number.isNaN(a.fillValue));
});
