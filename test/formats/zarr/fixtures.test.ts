import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { FsStore } from "../../../src/storage/fs-store.js";
import { openZarr, isZarr } from "../../../src/formats/zarr/index.js";
import { readBox } from "../../../src/array/read-box.js";
import type { ChunkedArray } from "../../../src/array/chunked-array.js";
import { fixture, python } from "../../helpers.js";

async function readAll(a: ChunkedArray): Promise<number[]> {
  const data = await readBox(
    a,
    a.shape.map(() => 0),
    [...a.shape],
  );
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

interface Expected {
  arrays: Record<string, { shape: number[]; dtype: string; data: (number | boolean)[] }>;
}

for (const version of ["v2", "v3"] as const) {
  test(`every numeric and bool array of zarr-python's ${version}.zarr reads as EXPECTED_${version}.json says`, async (t) => {
    const dir = fixture(t, "zarr-python");
    if (!dir) return;
    const expected = JSON.parse(
      readFileSync(path.join(dir, `EXPECTED_${version}.json`), "utf8"),
    ) as Expected;
    const ds = await openZarr(new FsStore(path.join(dir, `${version}.zarr`)));
    assert.equal(ds.format, `zarr-${version}`);
    assert.ok(Object.keys(expected.arrays).length > 20);
    for (const [name, want] of Object.entries(expected.arrays)) {
      const a = ds.variables.get(name);
      assert.ok(a, `${name} is listed`);
      assert.deepEqual(a.shape, want.shape, name);
      assert.equal(a.dtype, want.dtype, name);
      const values = want.data.map((v) => (typeof v === "boolean" ? Number(v) : v));
      assert.deepEqual(await readAll(a), values, name);
    }
  });
}

test("v2 fixture: 1d.contiguous.zstd.i2 (zstd with `checksum`, which python zarr 2 cannot read) reads", async (t) => {
  const dir = fixture(t, "zarr-python/v2.zarr");
  if (!dir) return;
  const ds = await openZarr(new FsStore(dir));
  assert.deepEqual(await readAll(ds.variables.get("1d.contiguous.zstd.i2")!), [1, 2, 3, 4]);
});

test("groups: nested arrays keyed by path, consolidated v3 metadata, group attrs, strings skipped", async (t) => {
  const dir = fixture(t, "zarr-python");
  if (!dir) return;
  const v3 = await openZarr(new FsStore(path.join(dir, "v3.zarr")), "consolidated");
  assert.deepEqual([...v3.variables.keys()].sort(), [
    "1d.chunked.i2",
    "2d.contiguous.i2",
    "nested/1d.i2",
  ]);
  assert.deepEqual(v3.attrs, { answer: 42 });
  assert.deepEqual(v3.variables.get("1d.chunked.i2")!.dims, ["dim_0"]);
  const v2 = await openZarr(new FsStore(path.join(dir, "v2.zarr")));
  assert.ok(
    ![...v2.variables.keys()].some((k) => /\.(S7|U7|O|U13)/.test(k)),
    "string/object arrays are left out",
  );
  assert.equal(v2.variables.get("3d.chunked.mixed.i2.F")!.encoding?.order, "F");
  assert.deepEqual(v2.variables.get("1d.contiguous.delta.shuffle.i2")!.encoding?.filters, [
    "delta",
    "shuffle",
  ]);
  const v3all = await openZarr(new FsStore(path.join(dir, "v3.zarr")));
  assert.deepEqual(v3all.variables.get("3d.contiguous.delta.i4.mixed")!.encoding?.order, [1, 0, 2]);
  assert.equal(v3all.variables.get("1d.contiguous.f4.be")!.encoding?.endian, "big");
  const single = await openZarr(new FsStore(path.join(dir, "v3.zarr")), "2d.chunked.i2");
  assert.deepEqual([...single.variables.keys()], ["2d.chunked.i2"]);
  assert.ok(await isZarr(new FsStore(path.join(dir, "v2.zarr"))));
  assert.ok(!(await isZarr(new FsStore(dir))));
});

test("sharded v3 arrays read inner chunk by inner chunk; missing inner chunks read as fill", async (t) => {
  const dir = fixture(t, "zarr-python/v3.zarr");
  if (!dir) return;
  const ds = await openZarr(new FsStore(dir));
  const a = ds.variables.get("2d.chunked.compressed.sharded.filled.i2")!;
  assert.deepEqual(a.chunks.chunkShape, [1, 1]);
  assert.deepEqual(a.encoding?.shards, [2, 2]);
  assert.equal(a.encoding?.compressor, "gzip");
  const b = ds.variables.get("1d.chunked.filled.compressed.sharded.i2")!;
  assert.deepEqual([...(await b.readChunk([3]))], [0]);
});

test("eraint_uvz.zarr reads raw (packed int16) exactly as python zarr 2 reads it", async (t) => {
  const dir = fixture(t, "eraint_uvz.zarr");
  if (!dir) return;
  const want = python<
    Record<
      string,
      {
        data: number[];
        attrs: Record<string, unknown>;
        fill: number | "NaN" | null;
        shape: number[];
        dims: string[];
      }
    >
  >(`
import zarr
g = zarr.open_group(${JSON.stringify(dir)}, mode="r")
out = {}
for name in ["z", "u", "latitude", "level"]:
    a = g[name]
    attrs = {k: v for k, v in a.attrs.asdict().items() if k != "_ARRAY_DIMENSIONS"}
    attrs = json.loads(json.dumps(attrs, default=float).replace("NaN", "null"))
    out[name] = {"data": a[...].ravel().tolist(), "attrs": attrs, "fill": None if a.fill_value is None else ("NaN" if np.isnan(a.fill_value) else float(a.fill_value)),
                 "shape": list(a.shape), "dims": a.attrs["_ARRAY_DIMENSIONS"]}
print(json.dumps(out))
`);
  const ds = await openZarr(new FsStore(dir));
  assert.equal(ds.format, "zarr-v2");
  const z = ds.variables.get("z")!;
  assert.equal(z.dtype, "int16");
  assert.deepEqual(z.dims, ["month", "level", "latitude", "longitude"]);
  assert.equal(z.fillValue, -32768);
  assert.equal(z.encoding?.compressor, "blosc/zstd");
  for (const [name, w] of Object.entries(want)) {
    const a = ds.variables.get(name)!;
    assert.deepEqual(a.shape, w.shape, name);
    assert.deepEqual(a.dims, w.dims, name);
    assert.equal(Number.isNaN(a.fillValue) ? "NaN" : a.fillValue, w.fill, name);
    const got = await readAll(a);
    assert.equal(got.length, w.data.length, name);
    const bad = got.findIndex((v, i) => v !== w.data[i]);
    assert.equal(bad, -1, `${name}[${bad}]: got ${got[bad]}, python zarr reads ${w.data[bad]}`);
    assert.deepEqual(JSON.parse(JSON.stringify(a.attrs).replace(/NaN/g, "null")), w.attrs, name);
  }
});
