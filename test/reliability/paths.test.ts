import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compute, toZarr } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import {
  consolidateMetadata,
  createZarrArray,
  createZarrGroup,
  openZarr,
} from "../../src/formats/zarr/index.js";
import { readBox } from "../../src/array/read-box.js";
import { FsStore } from "../../src/storage/fs-store.js";
import { HttpStore } from "../../src/storage/http-store.js";
import { InputError } from "../../src/util/errors.js";
import { dae, tempDir } from "../helpers.js";
import { serveFiles } from "../http-server.js";
import { assertCliError, assertUserError, filesUnder } from "./expect.js";

/**
 * A folder holding `store.zarr` (one complete float64 array `a` of 4 values, in one chunk)
 * and beside it `secret/`, a valid Zarr array of the same shape holding 666s: anything that
 * reads 666 has read outside the store.
 */
async function storeBesideSecret(
  dir: string,
  zarrFormat: 2 | 3,
): Promise<{ root: string; secret: string }> {
  const root = path.join(dir, "store.zarr");
  const store = new FsStore(root, true);
  const a = await createZarrArray(store, "a", {
    shape: [4],
    dtype: "float64",
    dims: ["x"],
    chunks: [4],
    fillValue: NaN,
    compressor: "none",
    zarrFormat,
  });
  await a.writeChunk([0], Float64Array.from([1, 2, 3, 4]));
  await createZarrGroup(store, "", {}, zarrFormat);
  const outside = new FsStore(dir, true);
  const s = await createZarrArray(outside, "secret", {
    shape: [4],
    dtype: "float64",
    dims: ["x"],
    chunks: [4],
    fillValue: NaN,
    compressor: "none",
    zarrFormat,
  });
  await s.writeChunk([0], new Float64Array(4).fill(666));
  return { root, secret: path.join(dir, "secret") };
}

/** Rewrites the JSON document at `file`. */
function editJson(file: string, edit: (doc: Record<string, any>) => void): void {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

const leaves = (e: unknown) => assertUserError(e, ["leaves the store"], InputError);

test("consolidated metadata naming ../ or absolute paths never reads outside the store (v3 and v2)", async (t) => {
  const dir = tempDir(t);
  const { root: v3 } = await storeBesideSecret(path.join(dir, "v3"), 3);
  const secretMeta = JSON.parse(readFileSync(path.join(dir, "v3", "secret", "zarr.json"), "utf8"));
  editJson(path.join(v3, "zarr.json"), (doc) => {
    doc.consolidated_metadata = {
      kind: "inline",
      must_understand: false,
      metadata: {
        "../secret": secretMeta,
        "/abs/secret": secretMeta,
        "a/../../secret": secretMeta,
      },
    };
  });
  const ds3 = await openZarr(new FsStore(v3));
  for (const name of ["../secret", "/abs/secret", "a/../../secret"]) {
    const v = ds3.variables.get(name);
    if (v) await assert.rejects(v.readChunk([0]), leaves, name);
  }
  const { vars } = await openDataset(v3);
  await assert.rejects(compute([vars["../secret"].sum()], { executor: "inline" }), leaves);

  const { root: v2 } = await storeBesideSecret(path.join(dir, "v2"), 2);
  await consolidateMetadata(new FsStore(v2, true), "", 2);
  const secretZarray = JSON.parse(readFileSync(path.join(dir, "v2", "secret", ".zarray"), "utf8"));
  editJson(path.join(v2, ".zmetadata"), (doc) => {
    doc.metadata["../secret/.zarray"] = secretZarray;
    doc.metadata["../../etc/.zarray"] = secretZarray;
  });
  const ds2 = await openZarr(new FsStore(v2));
  for (const name of ["../secret", "../../etc"]) {
    const v = ds2.variables.get(name);
    if (v) await assert.rejects(readBox(v, [0], [4]), leaves, name);
  }
  // and through the CLI: convert stops with one line; nothing named "secret" appears anywhere
  const out = path.join(dir, "out.zarr");
  assertCliError(dae(["convert", v2, out, "--quiet"]), ["leaves the store"]);
  assert.ok(
    !filesUnder(dir).some(
      (f) => f.includes("secret") && !f.startsWith("v2/secret/") && !f.startsWith("v3/secret/"),
    ),
  );
});

test("consolidated ../ keys over HTTP: no request leaves the store's URL prefix", async (t) => {
  const dir = tempDir(t);
  const { root } = await storeBesideSecret(dir, 3);
  const secretMeta = JSON.parse(readFileSync(path.join(dir, "secret", "zarr.json"), "utf8"));
  editJson(path.join(root, "zarr.json"), (doc) => {
    doc.consolidated_metadata = {
      kind: "inline",
      must_understand: false,
      metadata: {
        "../secret": secretMeta,
        a: JSON.parse(readFileSync(path.join(root, "a", "zarr.json"), "utf8")),
      },
    };
  });
  const server = await serveFiles(dir);
  t.after(() => server.close());
  const ds = await openZarr(new HttpStore(`${server.url}/store.zarr`));
  assert.deepEqual([...(await ds.variables.get("a")!.readChunk([0]))], [1, 2, 3, 4]);
  const secret = ds.variables.get("../secret");
  if (secret) await assert.rejects(secret.readChunk([0]), leaves);
  assert.deepEqual(
    server.requests.filter((r) => !r.path.startsWith("/store.zarr/")).map((r) => r.path),
    [],
    "every request stays under /store.zarr/",
  );
});

test("symlinks that lead out of a store are refused on read and on write; links inside are fine", async (t) => {
  const dir = tempDir(t);
  const { root, secret } = await storeBesideSecret(dir, 3);
  const chunk = path.join(root, "a", "c", "0");
  const store = new FsStore(root);
  // a chunk file that is a link to a chunk outside
  const saved = readFileSync(chunk);
  (await import("node:fs")).rmSync(chunk);
  symlinkSync(path.join(secret, "c", "0"), chunk);
  const a = (await openZarr(store)).variables.get("a")!;
  await assert.rejects(a.readChunk([0]), (e) =>
    assertUserError(e, [root, "a/c/0", "leads out of the store"], InputError),
  );
  // a chunk folder that is a link to a folder outside
  (await import("node:fs")).rmSync(path.join(root, "a", "c"), { recursive: true });
  symlinkSync(path.join(secret, "c"), path.join(root, "a", "c"));
  await assert.rejects(a.readChunk([0]), (e) =>
    assertUserError(e, ["leads out of the store"], InputError),
  );
  // writing a chunk that does not exist yet, below that folder, must not land outside either
  const writable = new FsStore(root, true);
  await assert.rejects(writable.set("a/c/1", new Uint8Array(8)), (e) =>
    assertUserError(e, ["a/c/1", "leads out of the store"], InputError),
  );
  assert.ok(!existsSync(path.join(secret, "c", "1")), "nothing written outside");
  await assert.rejects(writable.delete("a/c"), (e) =>
    assertUserError(e, ["leads out of the store"], InputError),
  );
  assert.ok(existsSync(path.join(secret, "c", "0")), "nothing deleted outside");
  // a link that stays inside the store reads as its target
  (await import("node:fs")).rmSync(path.join(root, "a", "c"));
  mkdirSync(path.join(root, "a", "c"));
  mkdirSync(path.join(root, "blobs"));
  writeFileSync(path.join(root, "blobs", "chunk0"), saved);
  symlinkSync(path.join(root, "blobs", "chunk0"), chunk);
  assert.deepEqual([...(await a.readChunk([0]))], [1, 2, 3, 4]);
  // and a store whose root is itself a link works
  const linkedRoot = path.join(dir, "linked.zarr");
  symlinkSync(root, linkedRoot);
  assert.deepEqual(
    [...(await (await openZarr(new FsStore(linkedRoot))).variables.get("a")!.readChunk([0]))],
    [1, 2, 3, 4],
  );
});

test("output names with ../ cannot write outside the output store", async (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, "out.zarr");
  const a = fromArray(Float64Array.from([1, 2, 3]), { shape: [3], dims: ["x"] });
  await assert.rejects(toZarr(a.rename("../escaped"), out, { executor: "inline" }), leaves);
  await assert.rejects(
    toZarr(a.rename("a/../../escaped"), out, { executor: "inline", overwrite: true }),
    leaves,
  );
  // a leading "/" is read as a path inside the store
  await toZarr(a.rename("/abs"), path.join(dir, "out2.zarr"), { executor: "inline" });
  assert.deepEqual(
    filesUnder(dir).filter((f) => !f.startsWith("out.zarr/") && !f.startsWith("out2.zarr/")),
    [],
    "nothing written beside the stores",
  );
});

test("existing outputs are not overwritten without overwrite (toZarr and dae convert); never a non-Zarr folder", async (t) => {
  const dir = tempDir(t);
  const a = fromArray(Float64Array.from([1, 2, 3]), { shape: [3], dims: ["x"], name: "a" });
  const out = path.join(dir, "out.zarr");
  await toZarr(a, out, { executor: "inline" });
  const before = readFileSync(path.join(out, "zarr.json"));
  await assert.rejects(toZarr(a.mul(2), out, { executor: "inline" }), (e) =>
    assertUserError(e, [out, "already exists"], InputError),
  );
  assert.deepEqual(readFileSync(path.join(out, "zarr.json")), before);
  await toZarr(a.mul(2), out, { executor: "inline", overwrite: true });
  const [back] = await compute([(await openDataset(out)).vars.a], { executor: "inline" });
  assert.deepEqual([...back.data], [2, 4, 6]);

  // a folder with other things in it is never emptied, even with overwrite
  const precious = path.join(dir, "precious");
  mkdirSync(precious);
  writeFileSync(path.join(precious, "thesis.tex"), "years of work");
  await assert.rejects(toZarr(a, precious, { executor: "inline", overwrite: true }), (e) =>
    assertUserError(e, [precious, "not a Zarr store"], InputError),
  );
  assertCliError(dae(["convert", out, precious, "--overwrite", "--quiet"]), [
    precious,
    "not a Zarr store",
  ]);
  assert.equal(readFileSync(path.join(precious, "thesis.tex"), "utf8"), "years of work");

  // a plain file as the target
  const file = path.join(dir, "notes.txt");
  writeFileSync(file, "keep me");
  await assert.rejects(toZarr(a, file, { executor: "inline" }), (e) =>
    assertUserError(e, [file, "already exists"], InputError),
  );
  assertCliError(dae(["convert", out, file, "--overwrite", "--quiet"]), [file, "not a Zarr store"]);
  assert.equal(readFileSync(file, "utf8"), "keep me");
});
