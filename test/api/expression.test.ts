import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { load } from "../../src/api/compute.js";
import {
  evaluateExpression,
  ExpressionError,
  type ExpressionScope,
} from "../../src/api/expression.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { slice } from "../../src/api/selection.js";
import { DaeError } from "../../src/util/errors.js";
import { assertClose, fixture, fixturesDir } from "../helpers.js";
import {
  pairCases,
  pairInputs,
  singleCases,
  singleInput,
  windowCases,
  type ExpressionCase,
} from "../oracles/fixture-cases.js";
import { xarrayEval, type OracleInput } from "../oracles/xarray-eval.js";

/** Opens the inputs as `dae run -i` does: named inputs as datasets, others' variables by name. */
async function scopeOf(inputs: OracleInput[]): Promise<ExpressionScope> {
  const scope: ExpressionScope = {};
  for (const i of inputs) {
    const ds = await openDataset(i.path);
    if (i.name) scope[i.name] = ds;
    else Object.assign(scope, ds.vars);
  }
  return scope;
}

async function checkCases(
  t: import("node:test").TestContext,
  inputs: OracleInput[],
  cases: ExpressionCase[],
) {
  const scope = await scopeOf(inputs);
  const want = xarrayEval(
    inputs,
    cases.map((c) => c.xarray),
  );
  for (const executor of ["threads", "inline"] as const) {
    for (const [k, c] of cases.entries()) {
      const got = await load(evaluateExpression(c.dae, scope), { executor });
      const what = `${c.dae} (${executor})`;
      assert.deepEqual(got.dims, want[k].dims, what);
      assert.deepEqual(got.shape, want[k].shape, what);
      assert.equal(got.dtype, want[k].dtype, what);
      assertClose(
        got.data as ArrayLike<number>,
        want[k].data as (number | null)[],
        1e-5,
        c.atol ?? 0,
        what,
      );
      for (const d of Object.keys(want[k].coords))
        assertClose(
          got.coords[d].values,
          want[k].coords[d] as number[],
          0,
          0,
          `${what}: coord ${d}`,
        );
    }
  }
  t.diagnostic(`${cases.length} expressions × 2 executors equal xarray's`);
}

test("expressions over eraint_uvz.nc equal xarray's: reductions, sel/isel, broadcasting, arithmetic", async (t) => {
  if (!fixture(t, "eraint_uvz.nc")) return;
  await checkCases(t, singleInput(fixturesDir!), singleCases);
});

test("expressions over two inputs whose chunks do not line up (Zarr 1×3×100×100, NetCDF-4 1×1×121×240)", async (t) => {
  if (!fixture(t, "eraint_uvz.zarr")) return;
  await checkCases(t, pairInputs(fixturesDir!), pairCases);
});

test("methods teammates added (rolling, coarsen, groupby) work in expressions without changes to the interpreter", async (t) => {
  if (!fixture(t, "eraint_uvz.nc")) return;
  await checkCases(t, singleInput(fixturesDir!), windowCases);
});

test("the library API without expressions gives xarray's answers too", async (t) => {
  const path = fixture(t, "eraint_uvz.nc");
  if (!path) return;
  const { vars } = await openDataset(path);
  const { z, u, v } = vars;
  const arrays: [LazyArray, string][] = [
    [
      z.isel({ level: slice(1, null), longitude: slice(0, 480, 7) }).median("longitude"),
      'z.isel(level=slice(1, None), longitude=slice(0, 480, 7)).median("longitude")',
    ],
    [
      u.pow(2).add(v.pow(2)).sqrt().mean(["month", "longitude"]),
      '((u ** 2 + v ** 2) ** 0.5).mean(["month", "longitude"])',
    ],
    [
      z.sel({ latitude: -33.3 }, { method: "nearest" }).std("longitude", { ddof: 1 }),
      'z.sel(latitude=-33.3, method="nearest").std("longitude", ddof=1)',
    ],
  ];
  const want = xarrayEval(
    [{ path }],
    arrays.map(([, x]) => x),
  );
  for (const [k, [a, x]] of arrays.entries()) {
    const got = await load(a, { executor: "inline" });
    assert.deepEqual(got.shape, want[k].shape, x);
    assertClose(got.data as ArrayLike<number>, want[k].data as (number | null)[], 1e-5, 0, x);
  }
});

/** The error an expression gives, with its message. */
function errorOf(expr: string, scope: ExpressionScope): DaeError {
  try {
    evaluateExpression(expr, scope);
  } catch (e) {
    assert.ok(e instanceof DaeError, `${expr}: ${(e as Error).stack}`);
    return e;
  }
  assert.fail(`${expr}: no error`);
}

test("expression errors name what is wrong and where, in one line (plus a caret line)", () => {
  const z = fromArray(new Float64Array(6), { shape: [2, 3], dims: ["y", "x"], name: "z" });
  const w = fromArray(new Float64Array(4), { shape: [4], dims: ["x"], name: "w" });
  const scope: ExpressionScope = { z, w, ds: { vars: { z } } };

  const syntax = errorOf('z.mean("y"))', scope);
  assert.ok(syntax instanceof ExpressionError);
  const [line, caret, ...rest] = syntax.message.split("\n");
  assert.equal(line, 'expression: unexpected ")" at character 12: z.mean("y"))');
  assert.deepEqual(rest, []);
  // the caret sits under the 12th character of the expression once the CLI prefixes "dae: "
  assert.equal(caret.indexOf("^"), `dae: ${line}`.indexOf('z.mean("y"))') + 11);

  const cases: [string, RegExp][] = [
    ["q + 1", /^expression: unknown name "q" \(names: z, w, ds\) at character 1: q \+ 1$/],
    ['z.mean("t")', /^expression: z: no dimension "t" \(dimensions: y, x\)$/],
    ["z + w", /dimension "x" has size 3 in z but 4 in w/],
    [
      "z.frobnicate()",
      /^expression: array z has no method "frobnicate" at character 3: z.frobnicate\(\)$/,
    ],
    ["z.meen()", /array z has no method "meen" \(did you mean mean\?\)/],
    ["ds.q", /dataset "ds" has no variable "q" \(variables: z\)/],
    ["ds + 1", /"\+" needs arrays or numbers, got the dataset "ds"/],
    ["z.mean", /mean is a method: call it, mean\(\.\.\.\)/],
    ["1 + 2", /the result is the number 3, not an array/],
    ["-z ** 2", /ambiguous "-" before "\*\*": write \(-a\) \*\* b or -\(a \*\* b\) at character 4/],
    ["z << 2", /operator "<<" is not supported/],
    ["z.isel({y: 5})", /index 5 is out of range for dimension "y" of length 2/],
    [
      'z.isel({y: "a"})',
      /^expression: isel: key on dimension "y" must be an integer, a slice, a list of integers or a boolean mask, got "a"$/,
    ],
    ["", /empty expression/],
    ["z +", /expected expression after \+ at character \d+/],
  ];
  for (const [expr, pattern] of cases) {
    const e = errorOf(expr, scope);
    assert.match(e.message.split("\n")[0], pattern, expr);
    assert.ok(e.message.split("\n").length <= 2, expr);
  }
});

test("operators, helpers and generic method dispatch", async () => {
  const data = Float64Array.from([1, -2, 3, -4, 5, 6]);
  const z = fromArray(data, { shape: [2, 3], dims: ["y", "x"], name: "z" });
  const values = async (expr: string) =>
    Array.from(
      (await load(evaluateExpression(expr, { z }), { executor: "inline" }))
        .data as ArrayLike<number>,
    );
  assert.deepEqual(await values("7 // z"), [7, -4, 2, -2, 1, 1]);
  assert.deepEqual(await values("z % 3"), [1, 1, 0, 2, 2, 0]);
  assert.deepEqual(await values("2 ** z.abs()"), [2, 4, 8, 16, 32, 64]);
  assert.deepEqual(await values("z > 0 && z < 5"), [1, 0, 1, 0, 0, 0]);
  assert.deepEqual(await values("!(z > 0) | (z == 5)"), [0, 1, 0, 1, 1, 0]);
  assert.deepEqual(await values("z > 0 ? z : -z"), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(await values("where(z > 0, 1, 0)"), [1, 0, 1, 0, 1, 1]);
  assert.deepEqual(await values("maximum(0, z)"), [1, 0, 3, 0, 5, 6]);
  assert.deepEqual(
    await values("sqrt(abs(z)) ** 2"),
    Array.from(data, (x) => Math.sqrt(Math.abs(x)) ** 2),
  );
  assert.deepEqual(await values("z.isel({x: slice(2)}).sum(z.dims[1])"), [-1, 1]);
  assert.deepEqual(await values('z.transpose("x", "y")'), [1, -4, -2, 5, 3, 6]);
  assert.deepEqual(
    await values('z.rename("w") * pi / pi'),
    Array.from(data, (x) => (x * Math.PI) / Math.PI),
  );
});

/** A random expression tree over + - * / and unary -, with arrays and numbers at the leaves. */
type Tree =
  | { leaf: "a" | "b" | "c" }
  | { num: number }
  | { op: "+" | "-" | "*" | "/"; l: Tree; r: Tree }
  | { neg: Tree };

const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ leaf: fc.constantFrom("a" as const, "b" as const, "c" as const) }),
    fc.record({
      num: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(0.5, -1.25, 2.5, 1e-3)),
    }),
    fc.record({
      op: fc.constantFrom("+" as const, "-" as const, "*" as const, "/" as const),
      l: tie("tree"),
      r: tie("tree"),
    }),
    fc.record({ neg: tie("tree") }),
  ),
}));

function text(t: Tree): string {
  if ("leaf" in t) return t.leaf;
  if ("num" in t) return t.num < 0 ? `(${t.num})` : String(t.num);
  if ("neg" in t) return `(-${text(t.neg)})`;
  return `(${text(t.l)} ${t.op} ${text(t.r)})`;
}

/** The tree at one element: `at(name)` is that leaf's value there. */
function direct(t: Tree, at: (leaf: "a" | "b" | "c") => number): number {
  if ("leaf" in t) return at(t.leaf);
  if ("num" in t) return t.num;
  if ("neg" in t) return -direct(t.neg, at);
  const l = direct(t.l, at);
  const r = direct(t.r, at);
  return t.op === "+" ? l + r : t.op === "-" ? l - r : t.op === "*" ? l * r : l / r;
}

const hasLeaf = (t: Tree): boolean =>
  "leaf" in t
    ? true
    : "num" in t
      ? false
      : "neg" in t
        ? hasLeaf(t.neg)
        : hasLeaf(t.l) || hasLeaf(t.r);

test("property: random + - * / and unary - trees equal the same tree computed element by element in JS", async () => {
  // a over (y, x), b over x, c over y: broadcasting by dim name
  const values = fc.double({ min: -100, max: 100, noNaN: true });
  await fc.assert(
    fc.asyncProperty(
      tree,
      fc.array(values, { minLength: 6, maxLength: 6 }),
      fc.array(values, { minLength: 3, maxLength: 3 }),
      fc.array(values, { minLength: 2, maxLength: 2 }),
      async (t, av, bv, cv) => {
        fc.pre(hasLeaf(t));
        const scope = {
          a: fromArray(Float64Array.from(av), {
            shape: [2, 3],
            dims: ["y", "x"],
            chunks: [1, 2],
            name: "a",
          }),
          b: fromArray(Float64Array.from(bv), { shape: [3], dims: ["x"], name: "b" }),
          c: fromArray(Float64Array.from(cv), { shape: [2], dims: ["y"], name: "c" }),
        };
        const result = evaluateExpression(text(t), scope);
        const order = ["y", "x"].filter((d) => result.dims.includes(d));
        const got = await load(result.transpose(...order), { executor: "inline" });
        const has = (d: string) => order.includes(d);
        const want: number[] = [];
        for (let y = 0; y < (has("y") ? 2 : 1); y++)
          for (let x = 0; x < (has("x") ? 3 : 1); x++)
            want.push(
              direct(t, (leaf) => (leaf === "a" ? av[y * 3 + x] : leaf === "b" ? bv[x] : cv[y])),
            );
        assert.equal(got.data.length, want.length, text(t));
        want.forEach((w, i) => {
          const g = got.data[i] as number;
          assert.ok(
            Object.is(g, w) || g === w || (Number.isNaN(g) && Number.isNaN(w)),
            `${text(t)}[${i}]: got ${g}, expected ${w}`,
          );
        });
      },
    ),
    { numRuns: 200 },
  );
});
