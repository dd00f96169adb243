import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { load } from "../../src/api/compute.js";
import { evaluateExpression } from "../../src/api/expression.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { assertClose, dae, fixture, tempDir } from "../helpers.js";
import { xarrayEval } from "../oracles/xarray-eval.js";

/** Kernels as a user writes them, in a module file `dae run --kernels` loads. */
const KERNELS = `
/** Max minus min of each slice. */
export function spread({ data, shape: [n, T] }) {
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let lo = Infinity, hi = -Infinity;
    for (let t = 0; t < T; t++) { lo = Math.min(lo, data[s * T + t]); hi = Math.max(hi, data[s * T + t]); }
    out[s] = hi - lo;
  }
  return out;
}

/** The sum of two blocks of one shape. */
export function plus([a, b]) {
  return a.data.map((x, i) => x + b.data[i]);
}
`;

test('dae run --kernels FILE: kernel("name", x, {...}) and its keyword form give xarray\'s answers', async (t) => {
  const nc = fixture(t, "eraint_uvz.nc");
  if (!nc) return;
  const dir = tempDir(t);
  const kernels = path.join(dir, "kernels.mjs");
  writeFileSync(kernels, KERNELS);
  const cases: [string, string][] = [
    ['kernel("spread", z, dims=["month"])', 'z.max("month") - z.min("month")'],
    ['kernel("plus", [u, v]).sel(level=850)', "(u + v).sel(level=850)"],
  ];
  const want = xarrayEval(
    [{ path: nc }],
    cases.map(([, x]) => x),
  );
  for (const [k, [expr]] of cases.entries()) {
    const r = dae(["run", "-i", nc, "--kernels", kernels, "-e", expr, "--print", "--quiet"]);
    assert.equal(r.code, 0, `${expr}: ${r.stderr}`);
    const got = JSON.parse(r.stdout);
    assert.deepEqual(got.dims, want[k].dims, expr);
    assertClose(got.data, want[k].data as (number | null)[], 1e-9, 1e-6, expr);
  }
  const r = dae(["run", "-i", nc, "--kernels", path.join(dir, "absent.mjs"), "-e", "z", "--print"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^dae: --kernels .*absent\.mjs: cannot load/);
});

test("kernel(...) in an expression: the options object or keywords, one-line errors for a missing module or name", async (t) => {
  const dir = tempDir(t);
  const kernels = path.join(dir, "kernels.mjs");
  writeFileSync(kernels, KERNELS);
  const z = fromArray(Float64Array.from([1, 5, 2, 8, 3, 3]), {
    shape: [2, 3],
    dims: ["y", "x"],
    name: "z",
  });
  const options = { kernels: { spread: kernels, plus: kernels } };
  for (const expr of ['kernel("spread", z, {dims: ["x"]})', 'kernel("spread", z, dims=["x"])']) {
    const got = await load(evaluateExpression(expr, { z }, options), { executor: "inline" });
    assert.deepEqual(Array.from(got.data as ArrayLike<number>), [4, 5], expr);
  }
  const message = (expr: string, o = options) => {
    try {
      evaluateExpression(expr, { z }, o);
    } catch (e) {
      return (e as Error).message.split("\n")[0];
    }
    return assert.fail(`${expr}: no error`);
  };
  assert.match(
    message('kernel("spread", z)', {} as typeof options),
    /kernel\("spread", …\) needs the module that exports it: --kernels FILE/,
  );
  assert.match(
    message('kernel("sprad", z)'),
    /no kernel "sprad" in the --kernels modules \(kernels: spread, plus\) \(did you mean spread\?\)/,
  );
  assert.match(
    message('kernel("plus", 3)'),
    /the second argument must be an array or a list of arrays/,
  );
});
