import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { nodeId, type Node } from "../../src/core/graph.js";
import { exactReplacer, exactReviver } from "../../src/util/exact-json.js";
import { dae, python, tempDir } from "../helpers.js";
import { xarrayEval } from "../oracles/xarray-eval.js";

test("fillna(Infinity) and fillna(-Infinity) are different graph nodes: the sum of their tests equals xarray's, and --print keeps ±Infinity apart from NaN", (t) => {
  const file = path.join(tempDir(t), "nan.nc");
  python(`
xr.Dataset({"x": ("i", np.array([np.nan, 1.0, -2.0, np.nan]))}).to_netcdf(${JSON.stringify(file)})
print("null")
`);
  const exprs = [
    [
      "(x.fillna(Infinity) > 0) * 1 + (x.fillna(-Infinity) > 0) * 10",
      "(x.fillna(np.inf) > 0) * 1 + (x.fillna(-np.inf) > 0) * 10",
    ],
    [
      "x.fillna(Infinity) + x.fillna(-Infinity) * 0 + x.fillna(-Infinity)",
      "x.fillna(np.inf) + x.fillna(-np.inf) * 0 + x.fillna(-np.inf)",
    ],
    ["x.fillna(-Infinity)", "x.fillna(-np.inf)"],
    ["x.fillna(Infinity) * 2", "x.fillna(np.inf) * 2"],
  ];
  const want = xarrayEval(
    [{ path: file }],
    exprs.map(([, xarray]) => xarray),
  );
  exprs.forEach(([expr], k) => {
    const r = dae(["run", "-i", file, "-e", expr, "--print", "--quiet", "--executor", "inline"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).data, want[k].data, expr);
  });
  // the oracle's spelling is what the README documents
  assert.deepEqual(want[2].data, ["-Infinity", 1, -2, "-Infinity"]);
  assert.deepEqual(want[1].data, [null, 2, -4, null]);
});

test("--print: int64 values are exact below 2^53 and refused in one line beyond", (t) => {
  const file = path.join(tempDir(t), "big.nc");
  python(`
xr.Dataset({"small": ("i", np.array([2**53 - 1, -(2**53 - 1), 7], "int64")),
            "big": ("j", np.array([5, 2**60 + 1], "int64"))}).to_netcdf(${JSON.stringify(file)})
print("null")
`);
  const ok = dae(["run", "-i", file, "-e", "small", "--print", "--quiet"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).data, [2 ** 53 - 1, -(2 ** 53 - 1), 7]);
  const big = dae(["run", "-i", file, "-e", "big", "--print", "--quiet"]);
  assert.equal(big.code, 1);
  assert.match(
    big.stderr,
    /^dae: big: the int64 value at flat index 1 .* beyond ±\(2\^53 - 1\).*\n$/,
  );
});

test("node ids and plan JSON keep NaN, Infinity, -Infinity and -0 apart", () => {
  const spec = (value: number) =>
    ({
      op: "map",
      kernel: "fillna",
      inputs: [{ node: "a" }, { scalar: value }],
    }) as unknown as Omit<Node, "id">;
  const values = [NaN, Infinity, -Infinity, -0, 0];
  const ids = values.map((v) => nodeId(spec(v)));
  assert.equal(new Set(ids).size, values.length, ids.join());
  const back = JSON.parse(JSON.stringify({ values }, exactReplacer), exactReviver) as {
    values: number[];
  };
  values.forEach((v, i) => assert.ok(Object.is(back.values[i], v), `${v}`));
});
