import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openHdf5 } from "../../../src/formats/hdf5/index.js";
import { readChunkIndex } from "../../../src/formats/hdf5/chunk-index.js";
import { ChunkCache } from "../../../src/array/chunk-cache.js";
import type { ChunkedArray } from "../../../src/array/chunked-array.js";
import { readBox } from "../../../src/array/read-box.js";
import { fixture, python, tempDir } from "../../helpers.js";

interface Expected {
  /** h5py's chunk info, by coordinates "i,j,k": [byte offset, stored size]. */
  chunks: Record<string, [number, number]>;
  values: (number | null)[];
}

/** Every chunk of `a`, in grid order, concatenated as numbers. */
async function allChunks(a: ChunkedArray): Promise<number[][]> {
  const out: number[][] = [];
  const counts = a.chunks.dims.map((d) => d.count);
  const total = counts.reduce((p, q) => p * q, 1);
  for (let k = 0; k < total; k++) {
    let r = k;
    const c = counts.map(() => 0);
    for (let d = counts.length - 1; d >= 0; d--) {
      c[d] = r % counts[d];
      r = Math.floor(r / counts[d]);
    }
    out.push(Array.from(await a.readChunk(c), Number));
  }
  return out;
}

/** The values of `a` as numbers in C order, assembled from its chunks (through a chunk cache, as tasks read). */
async function valuesOf(a: ChunkedArray): Promise<number[]> {
  return Array.from(
    await readBox(
      a,
      a.shape.map(() => 0),
      a.shape,
      { cache: new ChunkCache(1 << 20) },
    ),
    Number,
  );
}

const WRITE = (file: string, libver: string) => `
import h5py
f = h5py.File(${JSON.stringify(file)}, "w", libver=${JSON.stringify(libver)})
rng = np.random.default_rng(7)
def put(name, data, **kw):
    f.create_dataset(name, data=data, **kw)
# edge chunks on every dim, deflate + shuffle (what netCDF-4 writes)
put("f32", rng.normal(size=(13, 17, 23)).astype("<f4"), chunks=(4, 5, 7), compression="gzip", compression_opts=1, shuffle=True)
put("i16", rng.integers(-30000, 30000, size=(9, 40)).astype("<i2"), chunks=(4, 16), compression="gzip")
put("f64", rng.normal(size=(30, 11)), chunks=(7, 11), shuffle=True)
put("u8", rng.integers(0, 255, size=(50,)).astype("u1"), chunks=(16,))
put("i64", rng.integers(-2**60, 2**60, size=(6, 6)).astype("<i8"), chunks=(4, 4), compression="gzip", shuffle=True)
g = f.create_group("g").create_group("sub")
g.create_dataset("nested", data=np.arange(40, dtype="<f4").reshape(5, 8), chunks=(2, 3), compression="gzip")
# HDF5 reads these: big-endian, a checksum filter, chunks never written (fill value)
put("be", rng.normal(size=(8, 8)).astype(">f4"), chunks=(4, 4), compression="gzip")
put("fletcher", rng.normal(size=(8, 8)).astype("<f4"), chunks=(4, 4), fletcher32=True)
sparse = f.create_dataset("sparse", shape=(8, 8), dtype="<f4", chunks=(4, 4), fillvalue=-5, compression="gzip")
sparse[0:4, 4:8] = 3.5
f.close()
f = h5py.File(${JSON.stringify(file)}, "r")
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        chunks = {}
        for i in range(obj.id.get_num_chunks()):
            info = obj.id.get_chunk_info(i)
            key = ",".join(str(o // c) for o, c in zip(info.chunk_offset, obj.chunks))
            chunks[key] = [info.byte_offset, info.size]
        out[name] = {"chunks": chunks, "values": [float(v) for v in np.asarray(obj[()], dtype="f8").ravel()]}
f.visititems(visit)
print(json.dumps(out))
`;

for (const libver of ["earliest", "v108", "latest"] as const) {
  test(`HDF5 chunks read straight from the file equal h5py's values and HDF5's reads (libver ${libver})`, async (t) => {
    const file = path.join(tempDir(t), `direct-${libver}.h5`);
    const want = python<Record<string, Expected>>(WRITE(file, libver));
    const direct = await openHdf5(file);
    const viaHdf5 = await openHdf5(file, { directChunks: false });
    try {
      for (const [name, expected] of Object.entries(want)) {
        const a = direct.variables.get(name)!;
        const b = viaHdf5.variables.get(name)!;
        assert.ok(a && b, name);
        assert.deepEqual(await valuesOf(a), expected.values, `${name}: values`);
        assert.deepEqual(
          await allChunks(a),
          await allChunks(b),
          `${name}: chunks, direct and through HDF5`,
        );
        const index = readChunkIndex(file, `/${name}`, a.shape);
        // layout version 4 (libver latest) keeps its chunk indexes in other structures: HDF5 reads those
        if (libver === "latest") {
          assert.equal(index, undefined, `${name}: a layout this reader leaves to HDF5`);
          continue;
        }
        assert.ok(index, `${name}: the chunk index is read`);
        const got = Object.fromEntries([...index.chunks].map(([k, c]) => [k, [c.address, c.size]]));
        assert.deepEqual(got, expected.chunks, `${name}: chunk addresses and sizes equal h5py's`);
      }
    } finally {
      await direct.close?.();
      await viaHdf5.close?.();
    }
  });
}

test("the NetCDF-4 fixtures' chunk indexes equal h5py's, and their chunks read the same both ways", async (t) => {
  for (const name of ["eraint_uvz_nc4.nc", "basin_mask.nc"]) {
    const file = fixture(t, name);
    if (!file) return;
    const want = python<Record<string, { shape: number[]; chunks: [number, number][] }>>(`
import h5py
f = h5py.File(${JSON.stringify(file)}, "r")
out = {}
for k, d in f.items():
    if isinstance(d, h5py.Dataset) and d.chunks:
        chunks = [[d.id.get_chunk_info(i).byte_offset, d.id.get_chunk_info(i).size] for i in range(d.id.get_num_chunks())]
        out[k] = {"shape": list(d.shape), "chunks": chunks}
print(json.dumps(out))
`);
    const direct = await openHdf5(file);
    const viaHdf5 = await openHdf5(file, { directChunks: false });
    try {
      for (const [v, { shape, chunks }] of Object.entries(want)) {
        const index = readChunkIndex(file, `/${v}`, shape);
        assert.ok(index, `${name}:${v}`);
        assert.deepEqual(
          [...index.chunks].map(([, c]) => [c.address, c.size]),
          chunks,
          `${name}:${v}`,
        );
        const a = direct.variables.get(v);
        if (a)
          assert.deepEqual(
            await allChunks(a),
            await allChunks(viaHdf5.variables.get(v)!),
            `${name}:${v}`,
          );
      }
    } finally {
      await direct.close?.();
      await viaHdf5.close?.();
    }
  }
});

test("groups of many members (links in a fractal heap): read directly up to one B-tree leaf of names, by HDF5 beyond", async (t) => {
  const dir = tempDir(t);
  for (const members of [40, 200]) {
    const file = path.join(dir, `dense-${members}.h5`);
    python(`
import h5py
with h5py.File(${JSON.stringify(file)}, "w", libver="v108") as f:
    for i in range(${members}):
        f.create_dataset(f"v{i}", data=np.full((4, 4), i, dtype="<f4"), chunks=(2, 2), compression="gzip")
print("null")
`);
    const index = readChunkIndex(file, "/v17", [4, 4]);
    if (members === 40)
      assert.equal(index?.chunks.size, 4, "found through the heap (its root an indirect block)");
    else assert.equal(index, undefined, "a name index deeper than one leaf is left to HDF5");
    const ds = await openHdf5(file);
    try {
      assert.deepEqual(
        Array.from(await ds.variables.get("v17")!.readChunk([1, 1]), Number),
        [17, 17, 17, 17],
      );
    } finally {
      await ds.close?.();
    }
  }
});

test("a chunk B-tree that points back into itself is refused, not walked for ever", (t) => {
  const file = path.join(tempDir(t), "cycle.h5");
  python(`
import h5py, struct
with h5py.File(${JSON.stringify(file)}, "w", libver="earliest") as f:
    f.create_dataset("x", data=np.zeros((200, 10), dtype="<f4"), chunks=(1, 10))
data = bytearray(open(${JSON.stringify(file)}, "rb").read())
# the root of the chunk B-tree: the "TREE" node of type 1 above level 0
at = 0
while True:
    at = data.index(b"TREE", at + 1)
    if data[at + 4] == 1 and data[at + 5] > 0:
        break
used = struct.unpack_from("<H", data, at + 6)[0]
key = 8 + 8 * 3
# every child of the root is the root itself
for i in range(used):
    struct.pack_into("<Q", data, at + 24 + i * (key + 8) + key, at)
open(${JSON.stringify(file)}, "wb").write(data)
print("null")
`);
  assert.equal(readChunkIndex(file, "/x", [200, 10]), undefined);
});

test("a chunk grid of more cells than the index holds is left to HDF5", async (t) => {
  const file = path.join(tempDir(t), "cells.h5");
  python(`
import h5py
with h5py.File(${JSON.stringify(file)}, "w") as f:
    d = f.create_dataset("x", shape=(1 << 24,), chunks=(1,), dtype="<f4", fillvalue=2.5, compression="gzip")
    d[5] = 7
print("null")
`);
  assert.equal(readChunkIndex(file, "/x", [1 << 24]), undefined);
  const ds = await openHdf5(file);
  try {
    const x = ds.variables.get("x")!;
    assert.deepEqual(
      [Number((await x.readChunk([5]))[0]), Number((await x.readChunk([6]))[0])],
      [7, 2.5],
    );
  } finally {
    await ds.close?.();
  }
});
