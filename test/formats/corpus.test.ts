import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { readBox } from "../../src/array/read-box.js";
import { getVariable } from "../../src/dataset/dataset.js";
import { open } from "../../src/dataset/open.js";
import { DaeError } from "../../src/util/errors.js";
import { PYTHON, tempDir } from "../helpers.js";

/** One file of the corpus, as test/formats/corpus/make_corpus.py describes it. */
interface CorpusCase {
  file: string;
  feature: string;
  /** Values CF-decoded (xarray is the reference) or as stored (GDAL, h5py, zarr-python). */
  decoded: boolean;
  /** Every variable the reference reader gives; absent when the file must be refused. */
  variables?: Record<string, { dims: string[]; shape: number[]; values: (number | string)[] }>;
  /** Words the one-line refusal must contain (file, variable, feature). */
  refuse?: string[];
  /** Variables listed as not readable, each with a word its refusal must contain. */
  unsupported: Record<string, string>;
}

/** The reference's JSON spelling of a value (non-finite numbers are strings there). */
function spelled(x: number | bigint): number | string {
  if (typeof x === "bigint") return Number(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return x;
}

/** Opens a case's file and reads every variable whole; the first error is the refusal. */
async function readCase(file: string, c: CorpusCase) {
  const ds = await open(file);
  try {
    const got: Record<string, { dims: string[]; shape: number[]; values: (number | string)[] }> =
      {};
    for (const [name, v] of ds.variables) {
      const array = c.decoded ? v.array : v.raw;
      const values = await readBox(
        array,
        array.shape.map(() => 0),
        array.shape,
      );
      got[name] = {
        dims: [...v.dims],
        shape: [...v.shape],
        values: Array.from(values as ArrayLike<number>, spelled),
      };
    }
    assert.deepEqual([...ds.unsupported.keys()].sort(), Object.keys(c.unsupported).sort());
    for (const [name, word] of Object.entries(c.unsupported))
      assert.throws(
        () => getVariable(ds, name),
        (e: Error) =>
          e instanceof DaeError && e.message.includes(`"${name}"`) && e.message.includes(word),
        name,
      );
    return got;
  } finally {
    await ds.close();
  }
}

test("corpus: files written by GDAL, ncgen, netCDF4-python, h5py and zarr-python read as their reference readers read them, or are refused in one line naming file and feature", async (t) => {
  const dir = tempDir(t, "dae-corpus-");
  const script = path.resolve("test", "formats", "corpus", "make_corpus.py");
  const cases = JSON.parse(
    execFileSync(PYTHON, [script, dir], { encoding: "utf8", maxBuffer: 1 << 28 }),
  ) as CorpusCase[];
  assert.ok(cases.length > 100, `only ${cases.length} corpus files were made`);
  const failures: string[] = [];
  for (const c of cases) {
    const file = path.join(dir, c.file);
    try {
      if (c.refuse) {
        const e = await readCase(file, c).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(e instanceof DaeError, `not refused (${String(e)})`);
        const message = e.message;
        assert.ok(!message.includes("\n"), `the refusal has several lines: ${message}`);
        assert.ok(!message.includes("::"), `the refusal doubles a colon: ${message}`);
        for (const word of c.refuse)
          assert.ok(message.includes(word), `the refusal does not say "${word}": ${message}`);
      } else {
        const got = await readCase(file, c);
        assert.deepEqual(Object.keys(got).sort(), Object.keys(c.variables!).sort(), "variables");
        for (const [name, want] of Object.entries(c.variables!)) {
          assert.deepEqual(got[name].dims, want.dims, `${name}: dims`);
          assert.deepEqual(got[name].shape, want.shape, `${name}: shape`);
          const i = want.values.findIndex((w, i) => got[name].values[i] !== w);
          assert.ok(
            i < 0 && got[name].values.length === want.values.length,
            `${name}: value [${i}] is ${got[name].values[i]}, expected ${want.values[i]}`,
          );
        }
      }
    } catch (e) {
      failures.push(`${c.file} (${c.feature}): ${(e as Error).message.split("\n")[0]}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} corpus files`);
});
