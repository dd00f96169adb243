import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { load, toZarr } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { open } from "../../src/dataset/open.js";
import { writeDatasetZarr } from "../../src/dataset/write-zarr.js";
import { dae, tempDir } from "../helpers.js";
import { assertSameStores, storeFiles } from "../distributed/data.js";

const quiet = { executor: "inline" as const, onNote: () => undefined };

/** A small input store holding `z` (y × x) in `dir`, and its values. */
async function writeInput(dir: string) {
  const values = Float64Array.from({ length: 48 }, (_, i) => i * 0.5);
  const z = fromArray(values, { shape: [6, 8], dims: ["y", "x"], chunks: [3, 4], name: "z" });
  const file = path.join(dir, "data.zarr");
  await toZarr(z, file, quiet);
  return { file, values };
}

test("--resume of a complete output computed by another expression is refused; the same one resumes", async (t) => {
  const dir = tempDir(t);
  const { file, values } = await writeInput(dir);
  const out = path.join(dir, "out.zarr");
  const r1 = dae(["run", "-i", file, "-e", "z * 2", "-o", out, "--quiet"]);
  assert.equal(r1.code, 0, r1.stderr);
  const written = storeFiles(out);

  const r2 = dae(["run", "-i", file, "-e", "z * 3", "-o", out, "--resume", "--quiet"]);
  assert.equal(r2.code, 1);
  assert.match(
    r2.stderr,
    /out\.zarr: is complete but cannot be resumed: it holds the result of another computation/,
  );
  assert.equal(r2.stderr.trimEnd().split("\n").length, 1, r2.stderr);
  assertSameStores(storeFiles(out), written);

  // another output chunking is another computation too (library path)
  const { vars } = await openDataset(file);
  await assert.rejects(
    toZarr(vars.z.mul(2).rechunk({ y: 2, x: 8 }), out, { ...quiet, resume: true }),
    /is complete but cannot be resumed: it holds the result of another computation/,
  );

  // the same computation: "already complete", nothing rewritten, values are z * 2
  const notes: string[] = [];
  const again = await toZarr(vars.z.mul(2), out, {
    ...quiet,
    resume: true,
    onNote: (m) => notes.push(m),
  });
  assert.match(notes.join(), /already complete; nothing to resume/);
  assert.equal(again.progress.tasksDone, again.progress.tasksTotal);
  assertSameStores(storeFiles(out), written);
  const { vars: got } = await openDataset(out);
  assert.deepEqual(
    Array.from((await load(got.z, quiet)).data as Float64Array),
    Array.from(values, (v) => v * 2),
  );
});

test("--resume of a complete store no run recorded (a dae convert copy) is refused", async (t) => {
  const dir = tempDir(t);
  const { file } = await writeInput(dir);
  const copy = path.join(dir, "copy.zarr");
  const ds = await open(file);
  try {
    await writeDatasetZarr(ds, copy);
  } finally {
    await ds.close();
  }
  const { vars } = await openDataset(file);
  await assert.rejects(
    toZarr(vars.z, copy, { ...quiet, resume: true }),
    /copy\.zarr: is complete but cannot be resumed: nothing records what computed it; start again with --overwrite/,
  );
});
