import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { plotArray } from "../../src/cli/commands/plot.js";
import { open } from "../../src/dataset/open.js";
import { writeDatasetZarr } from "../../src/dataset/write-zarr.js";
import { dae, fixture, tempDir } from "../helpers.js";
import { assertSameStores, storeFiles } from "../distributed/data.js";

const quiet = { executor: "inline" as const, onNote: () => undefined };

/** A small complete Zarr store holding `z` (y × x) at `file`. */
async function writeStore(file: string): Promise<Map<string, Buffer>> {
  const z = fromArray(
    Float64Array.from({ length: 48 }, (_, i) => i * 0.5),
    {
      shape: [6, 8],
      dims: ["y", "x"],
      chunks: [3, 4],
      name: "z",
    },
  );
  await toZarr(z, file, quiet);
  return storeFiles(file);
}

/** The one-line refusal naming the output and the input. */
function refusal(output: string, how: string, input: string): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^refusing to write ${esc(output)}: it ${how} the input ${esc(input)}; `);
}

test("dae run -i data.zarr -o data.zarr --overwrite is refused in one line, the input intact", async (t) => {
  const dir = tempDir(t);
  const input = path.join(dir, "data.zarr");
  const before = await writeStore(input);
  const r = dae(["run", "-i", input, "-e", "z * 2", "-o", input, "--overwrite", "--quiet"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(refusal(input, "is", input).source.slice(1)));
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assertSameStores(storeFiles(input), before);
});

test("toZarr refuses an output inside its input, containing it, or reached through a symlink; the input intact", async (t) => {
  const dir = tempDir(t);
  const input = path.join(dir, "data.zarr");
  const before = await writeStore(input);
  const { vars } = await openDataset(input);
  const doubled = vars.z.mul(2);

  const inside = path.join(input, "out.zarr");
  await assert.rejects(toZarr(doubled, inside, quiet), {
    message: refusal(inside, "lies inside", input),
  });

  // a folder whose link leads to the input's folder: the output is the input under another name
  const link = path.join(dir, "link");
  symlinkSync(dir, link);
  const viaLink = path.join(link, "data.zarr");
  await assert.rejects(toZarr(doubled, viaLink, { ...quiet, overwrite: true }), {
    message: refusal(viaLink, "is", input),
  });
  assertSameStores(storeFiles(input), before);

  // an input inside a Zarr store that is the output (overwriting it would delete the input)
  const outer = path.join(dir, "outer.zarr");
  await writeStore(outer);
  const nested = path.join(outer, "z");
  const held = storeFiles(outer);
  const { vars: inner } = await openDataset(nested);
  await assert.rejects(toZarr(inner.z.mul(2), outer, { ...quiet, overwrite: true }), {
    message: refusal(outer, "contains", nested),
  });
  assertSameStores(storeFiles(outer), held);
});

test("writeDatasetZarr (dae convert) and dae plot refuse to write over their input", async (t) => {
  const dir = tempDir(t);
  const input = path.join(dir, "data.zarr");
  const before = await writeStore(input);
  const ds = await open(input);
  try {
    await assert.rejects(writeDatasetZarr(ds, input, { overwrite: true }), {
      message: refusal(input, "is", input),
    });
  } finally {
    await ds.close();
  }
  assertSameStores(storeFiles(input), before);
  const r = dae(["convert", input, path.join(input, "copy.zarr"), "--quiet"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refusing to write .*copy\.zarr: it lies inside the input /);
  assertSameStores(storeFiles(input), before);

  const nc = fixture(t, "basin_mask.nc");
  if (!nc) return;
  const copy = path.join(dir, "mask.nc");
  copyFileSync(nc, copy);
  const bytes = readFileSync(copy);
  const { vars } = await openDataset(copy);
  await assert.rejects(plotArray(vars.X, copy, { compute: quiet }), {
    message: refusal(copy, "is", copy),
  });
  assert.ok(readFileSync(copy).equals(bytes), "the input is byte-for-byte intact");
});
