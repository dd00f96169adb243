import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { open } from "../../src/dataset/open.js";
import { writeDatasetZarr } from "../../src/dataset/write-zarr.js";
import { FsStore } from "../../src/storage/fs-store.js";
import { OutputLock } from "../../src/storage/output-lock.js";
import { dae, tempDir } from "../helpers.js";
import { assertSameStores, storeFiles } from "../distributed/data.js";

const quiet = { executor: "inline" as const, onNote: () => undefined };

async function writeInput(file: string, scale: number): Promise<void> {
  const values = Float64Array.from({ length: 48 }, (_, i) => i * scale);
  const z = fromArray(values, { shape: [6, 8], dims: ["y", "x"], chunks: [3, 4], name: "z" });
  await toZarr(z, file, quiet);
}

test("dae convert takes the output's lock: a second writer into the same store is refused, the first's bytes untouched", async (t) => {
  const dir = tempDir(t);
  const a = path.join(dir, "a.zarr");
  const b = path.join(dir, "b.zarr");
  await writeInput(a, 1);
  await writeInput(b, 2);
  const out = path.join(dir, "out.zarr");

  // another writer (a convert or run in progress) holds the new store's lock
  mkdirSync(out);
  const held = await OutputLock.acquire(new FsStore(out, true));
  try {
    const r = dae(["convert", b, out, "--quiet"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /out\.zarr: is being written by another run \(pid \d+ on .*\); wait for it to finish or stop it/,
    );
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.ok(!existsSync(path.join(out, "z")), "the refused convert wrote nothing");
  } finally {
    await held.release();
  }

  // a complete store being replaced (--overwrite) by a live writer is not emptied under it
  const copy = path.join(dir, "copy.zarr");
  const ds = await open(a);
  try {
    await writeDatasetZarr(ds, copy);
  } finally {
    await ds.close();
  }
  assert.ok(!existsSync(path.join(copy, ".dae")), "a finished convert leaves no records");
  // the store's own files (the holder's lock beside them is its business)
  const data = () => new Map([...storeFiles(copy)].filter(([k]) => !k.startsWith(".dae")));
  const first = data();
  const again = await OutputLock.acquire(new FsStore(copy, true));
  try {
    const other = await open(b);
    try {
      await assert.rejects(writeDatasetZarr(other, copy, { overwrite: true }), {
        message: /copy\.zarr: is being written by another run/,
      });
    } finally {
      await other.close();
    }
    assertSameStores(data(), first);
  } finally {
    await again.release();
  }
});
