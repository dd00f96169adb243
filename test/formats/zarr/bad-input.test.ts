import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FsStore } from "../../../src/storage/fs-store.js";
import { createZarrArray, openZarr } from "../../../src/formats/zarr/index.js";
import { FormatError, InputError } from "../../../src/util/errors.js";
import { tempDir } from "../../helpers.js";

/** Asserts that `promise` rejects with a one-line error of `kind` whose message matches every pattern. */
async function rejectsWith(
  promise: Promise<unknown>,
  kind: typeof FormatError,
  ...patterns: RegExp[]
): Promise<void> {
  await assert.rejects(promise, (e: Error) => {
    assert.ok(e instanceof kind, `${e.name}: ${e.message}`);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

/** A store holding array `a` (4 int32 values in chunks of 2) written by us. */
async function storeWithArray(
  dir: string,
  options: { compressor: "gzip" | "blosc" | "none"; zarrFormat: 2 | 3; shards?: number[] },
) {
  const store = new FsStore(dir, true);
  const a = await createZarrArray(store, "a", {
    shape: [4],
    dtype: "int32",
    dims: ["x"],
    chunks: [2],
    fillValue: 0,
    ...options,
  });
  await a.writeChunk([0], Int32Array.from(options.shards ? [1, 2, 3, 4] : [1, 2]));
  if (!options.shards) await a.writeChunk([1], Int32Array.from([3, 4]));
  return store;
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value));
}

test("a truncated or garbage chunk gives a FormatError naming store, array and chunk key", async (t) => {
  for (const compressor of ["gzip", "blosc"] as const) {
    const dir = tempDir(t);
    const store = await storeWithArray(dir, { compressor, zarrFormat: 3 });
    const key = path.join(dir, "a", "c", "1");
    const bytes = readFileSync(key);
    writeFileSync(key, bytes.subarray(0, bytes.length - 5));
    const a = (await openZarr(store)).variables.get("a")!;
    await rejectsWith(a.readChunk([1]), FormatError, new RegExp(`^${dir}:a: chunk a/c/1: `));
    writeFileSync(key, Buffer.from("this is not a compressed chunk at all"));
    await rejectsWith(a.readChunk([1]), FormatError, /chunk a\/c\/1: /);
    assert.deepEqual([...(await a.readChunk([0]))], [1, 2], "other chunks still read");
  }
});

test("a chunk of the wrong size says how many bytes it decodes to", async (t) => {
  const dir = tempDir(t);
  const store = await storeWithArray(dir, { compressor: "none", zarrFormat: 2 });
  writeFileSync(path.join(dir, "a", "0"), new Uint8Array(6));
  const a = (await openZarr(store)).variables.get("a")!;
  await rejectsWith(
    a.readChunk([0]),
    FormatError,
    /:a: chunk a\/0: decodes to 6 bytes, expected 8/,
  );
});

test("a corrupt shard index fails its crc32c check; a shard too short for its index says so", async (t) => {
  const dir = tempDir(t);
  const store = await storeWithArray(dir, { compressor: "gzip", zarrFormat: 3, shards: [4] });
  const key = path.join(dir, "a", "c", "0");
  const bytes = readFileSync(key);
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(key, bytes);
  const a = (await openZarr(store)).variables.get("a")!;
  await rejectsWith(
    a.readChunk([0]),
    FormatError,
    /chunk a\/c\/0 \(shard index\): crc32c checksum mismatch/,
  );
  writeFileSync(key, new Uint8Array(5));
  const b = (await openZarr(store)).variables.get("a")!;
  await rejectsWith(b.readChunk([1]), FormatError, /shard index is 5 bytes, expected 36/);
});

test("an unknown codec names the codec and the array", async (t) => {
  const dir = tempDir(t);
  const store = await storeWithArray(dir, { compressor: "gzip", zarrFormat: 3 });
  const file = path.join(dir, "a", "zarr.json");
  const meta = JSON.parse(readFileSync(file, "utf8"));
  meta.codecs[1] = { name: "snappy-turbo", configuration: {} };
  writeFileSync(file, JSON.stringify(meta));
  const a = (await openZarr(store)).variables.get("a")!;
  await rejectsWith(
    a.readChunk([0]),
    FormatError,
    new RegExp(`^${dir}:a: unknown codec "snappy-turbo"$`),
  );
  const zarray = path.join(dir, "b", ".zarray");
  writeJson(zarray, {
    zarr_format: 2,
    shape: [2],
    chunks: [2],
    dtype: "<i4",
    compressor: { id: "zfp" },
    fill_value: 0,
    filters: null,
    order: "C",
  });
  const b = (await openZarr(store, "b")).variables.get("b")!;
  await rejectsWith(b.readChunk([0]), FormatError, /:b: unknown codec "numcodecs\.zfp"/);
});

test("negative, non-integer or absurd shapes are refused before anything is allocated", async (t) => {
  const dir = tempDir(t);
  const store = new FsStore(dir, true);
  const v2 = (name: string, shape: unknown, chunks: unknown, dtype = "<f4") =>
    writeJson(path.join(dir, name, ".zarray"), {
      zarr_format: 2,
      shape,
      chunks,
      dtype,
      compressor: null,
      fill_value: null,
      filters: null,
      order: "C",
    });
  v2("neg", [-3], [2]);
  await rejectsWith(
    openZarr(store, "neg"),
    FormatError,
    /:neg: shape must be a list of integers >= 0, got \[-3\]/,
  );
  v2("frac", [3.5], [2]);
  await rejectsWith(openZarr(store, "frac"), FormatError, /shape must be a list of integers/);
  v2("zero-chunk", [3], [0]);
  await rejectsWith(
    openZarr(store, "zero-chunk"),
    FormatError,
    /chunks must be a list of integers >= 1/,
  );
  v2("huge", [1e12, 1e12], [10, 10]);
  await rejectsWith(
    openZarr(store, "huge"),
    FormatError,
    /:huge: shape \[1000000000000,1000000000000\] has more than 2\^53 elements/,
  );
  v2("huge-chunk", [1e12], [1e12]);
  await rejectsWith(
    openZarr(store, "huge-chunk"),
    FormatError,
    /:huge-chunk: chunk shape \[1000000000000\] needs 4000000000000 bytes, more than 2 GiB/,
  );
  v2("bad-dtype", [3], [3], "<q7");
  await rejectsWith(openZarr(store, "bad-dtype"), FormatError, /:bad-dtype: unknown dtype "<q7"/);
  // 10^12 chunks are fine as long as nobody reads them all: the grid stays compact
  v2("many", [1e12], [1]);
  const many = (await openZarr(store, "many")).variables.get("many")!;
  assert.equal(many.chunks.totalCount, 1e12);
  assert.deepEqual(
    [...(await many.readChunk([999999999999]))],
    [0],
    "a missing chunk with a null fill reads as 0",
  );
  writeJson(path.join(dir, "v3neg", "zarr.json"), {
    zarr_format: 3,
    node_type: "array",
    shape: [4],
    data_type: "int8",
    fill_value: 0,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [-2] } },
    codecs: [{ name: "bytes" }],
  });
  await rejectsWith(
    openZarr(store, "v3neg"),
    FormatError,
    /:v3neg: chunk_shape must be a list of integers >= 1, got \[-2\]/,
  );
});

test("a path that is not Zarr, or metadata that is not JSON, says so", async (t) => {
  const dir = tempDir(t);
  const store = new FsStore(dir, true);
  writeFileSync(path.join(dir, "README"), "hello");
  await rejectsWith(
    openZarr(store),
    InputError,
    new RegExp(`^${dir}: not a Zarr store \\(no zarr.json, .zgroup or .zarray\\)$`),
  );
  await rejectsWith(openZarr(store, "nowhere"), InputError, /nowhere: not a Zarr store/);
  mkdirSync(path.join(dir, "broken"));
  writeFileSync(path.join(dir, "broken", ".zarray"), '{"zarr_format": 2, "shape": [');
  await rejectsWith(openZarr(store, "broken"), FormatError, /broken\/\.zarray: not valid JSON/);
});
