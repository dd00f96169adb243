import { test } from "node:test";
import assert from "node:assert/strict";
import { compute } from "../../src/api/compute.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { fixture, python } from "../helpers.js";
import { randomValues, xarrayOracle } from "./oracle.js";

test("basin_mask.nc basin value counts equal numpy.unique(..., return_counts=True), decoded and raw", async (t) => {
  const file = fixture(t, "basin_mask.nc");
  if (!file) return;
  const want = python<Record<string, number[]>>(`
out = {}
for decode in [True, False]:
    v = xr.open_dataset("${file}", mask_and_scale=decode).basin.values
    values, counts = np.unique(v[~np.isnan(v)] if v.dtype.kind == "f" else v, return_counts=True)
    out[str(decode)] = [values.tolist(), counts.tolist()]
print(json.dumps(out))
`) as unknown as Record<string, [number[], number[]]>;
  for (const decode of [true, false]) {
    const { vars } = await openDataset(file, { decode });
    const got = await vars.basin.valueCounts({ memory: "256MB", executor: "inline" });
    const [values, counts] = want[decode ? "True" : "False"];
    assert.deepEqual(Array.from(got.values), values, `values (decode ${decode})`);
    assert.deepEqual(Array.from(got.counts), counts, `counts (decode ${decode})`);
  }
});

test("histogram over all dims and along dims equals numpy.histogram, in slabs smaller than the array", async () => {
  const shape = [40, 30, 20];
  const values = randomValues(
    shape.reduce((a, b) => a * b),
    5,
    0.05,
  );
  const want = xarrayOracle(
    { values },
    `
a = values.reshape(${JSON.stringify(shape)})
flat = a[~np.isnan(a)]
out = {
    "all": np.histogram(flat, bins=7, range=(-8, 9))[0],
    "edges": np.histogram(flat, bins=[-10, -3, 0, 0.5, 10])[0],
    "along": np.stack([np.histogram(row[~np.isnan(row)], bins=5, range=(-10, 10))[0] for row in a.transpose(1, 0, 2).reshape(30, -1)]),
}
`,
  );
  const a = fromArray(values, { shape, dims: ["t", "y", "x"], chunks: [7, 9, 20] });
  const all = a.histogram({ bins: 7, range: [-8, 9] });
  const edges = a.histogram({ bins: [-10, -3, 0, 0.5, 10] });
  const along = a.histogram({ bins: 5, range: [-10, 10], dims: ["t", "x"] });
  assert.deepEqual(along.dims, ["y", "bin"]);
  const got = await compute([all, edges, along], { executor: "inline", memory: "64MB" });
  assert.deepEqual(Array.from(got[0].data), want.all);
  assert.deepEqual(Array.from(got[1].data), want.edges);
  assert.deepEqual(Array.from(got[2].data), want.along);
  assert.deepEqual(Array.from(got[0].coords.bin.attrs.bin_edges as number[]).length, 8);
});

test("histogram and valueCounts refuse what they cannot count", async () => {
  const a = fromArray(Float64Array.from([0.5, 1, 2]), { shape: [3], dims: ["x"] });
  assert.throws(() => a.histogram({ bins: 4 }), /a bin count needs range/);
  assert.throws(() => a.histogram({ bins: [3, 1] }), /increasing/);
  await assert.rejects(a.valueCounts({ executor: "inline" }), /non-integer values; use histogram/);
});

test("a histogram over an array larger than one slab streams it and counts every value once", async () => {
  const n = 3 << 20;
  const a = fromArray(
    Float32Array.from({ length: n }, (_, i) => i % 97),
    { shape: [3, 1 << 20], dims: ["t", "x"], chunks: [1, 1 << 18] },
  );
  const [h] = await compute([a.histogram({ bins: 97, range: [-0.5, 96.5] })], {
    executor: "inline",
    memory: "256MB",
  });
  const want = Array.from({ length: 97 }, (_, v) => Math.floor((n - 1 - v) / 97) + 1);
  assert.deepEqual(Array.from(h.data), want);
});
