import { test } from "node:test";
import assert from "node:assert/strict";
import { plan } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { MemoryBudgetError } from "../../src/util/errors.js";

const grid = () =>
  fromArray(new Float64Array(64 * 64), {
    shape: [64, 64],
    dims: ["y", "x"],
    chunks: [64, 64],
    name: "t",
  });

test("a refused plan names the output and describes its chunk, scalar outputs included", () => {
  const tiny = { executor: "inline" as const, memory: 1024 };
  // a scalar result (0-d): no chunk shape to print, the output's name instead
  assert.throws(
    () => plan([grid().mean()], [{ kind: "memory" }], tiny),
    (e: Error) => {
      assert.ok(e instanceof MemoryBudgetError);
      assert.match(e.message, /^t: the output \(a single value\) needs \d/);
      return true;
    },
  );
  // an n-d output written to Zarr: its name, chunk and dims
  const zarr = { kind: "zarr" as const, url: "out.zarr", path: "t", zarrFormat: 3 as const };
  assert.throws(
    () => plan([grid().mul(2)], [zarr], tiny),
    (e: Error) => {
      assert.match(e.message, /^t: one output chunk of 64×64 \(y×x\) needs \d/);
      return true;
    },
  );
});
