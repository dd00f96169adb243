import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { compute } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { open } from "../../src/dataset/open.js";
import { registerFormat, registeredFormats } from "../../src/formats/registry.js";
import { dae, fixture, tempDir } from "../helpers.js";

test("the built-in formats register themselves from their own folders", async () => {
  const names = (await registeredFormats()).map((f) => `${f.kind}:${f.name}`);
  for (const f of ["store:zarr", "file:netcdf3", "file:hdf5", "file:geotiff"])
    assert.ok(names.includes(f), `${f} in ${names}`);
});

test("a format registered by the user is detected and opened like the built-in ones", async (t) => {
  // "TOY1", then rows and columns as uint32, then float32 values: a format of the test's own
  const rows = 5;
  const cols = 7;
  const values = Float32Array.from({ length: rows * cols }, (_, i) => (i * 37) % 11);
  const file = path.join(tempDir(t), "field.toy");
  const header = Buffer.alloc(12);
  header.write("TOY1", 0, "latin1");
  header.writeUInt32LE(rows, 4);
  header.writeUInt32LE(cols, 8);
  writeFileSync(file, Buffer.concat([header, Buffer.from(values.buffer)]));
  const opened: string[] = [];
  registerFormat({
    kind: "file",
    name: "toy",
    title: "TOY",
    sniff: (head) => Buffer.from(head.subarray(0, 4)).toString("latin1") === "TOY1",
    async open(source, location) {
      opened.push(location);
      const head = Buffer.from(await source.read(0, 12));
      const [r, c] = [head.readUInt32LE(4), head.readUInt32LE(8)];
      const bytes = await source.read(12, r * c * 4);
      const data = new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      await source.close?.();
      const field = fromTypedArray(data, { shape: [r, c], dims: ["y", "x"], chunks: [2, 3] });
      return { format: "toy", source: location, variables: new Map([["field", field]]), attrs: {} };
    },
  });
  const { vars } = await openDataset(file);
  const [rowMeans] = await compute([vars.field.mean("x")], { executor: "inline" });
  const want = Array.from({ length: rows }, (_, y) => {
    let s = 0;
    for (let x = 0; x < cols; x++) s += values[y * cols + x];
    return s / cols;
  });
  assert.deepEqual(
    Array.from(rowMeans.data).map((v) => Math.fround(v)),
    want.map((v) => Math.fround(v)),
  );
  assert.deepEqual(opened, [file]);
  // the built-in formats still open theirs, and a file of no format names them all with the new one
  const nc = fixture(t, "eraint_uvz.nc");
  if (nc) assert.match((await open(nc)).format, /^netcdf3-/);
  const other = path.join(path.dirname(file), "other.bin");
  writeFileSync(other, "neither of them");
  await assert.rejects(
    open(other),
    /not a Zarr store, TOY, GeoTIFF, NetCDF-4\/HDF5 or NetCDF-3 file/,
  );
});

test("dae info refuses a file of no registered format in one line naming it", (t) => {
  const file = path.join(tempDir(t), "notes.txt");
  writeFileSync(file, "just text");
  const r = dae(["info", file]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `dae: ${file}: not a Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3 file\n`,
  );
});
