import { test } from "node:test";
import assert from "node:assert/strict";
import { load } from "../../src/api/compute.js";
import { evaluateExpression, type ExpressionScope } from "../../src/api/expression.js";
import { bindKeywords, parametersOf } from "../../src/api/keyword-arguments.js";
import { LazyArray } from "../../src/api/lazy-array.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { DaeError } from "../../src/util/errors.js";
import { assertClose, fixture } from "../helpers.js";
import { xarrayEval } from "../oracles/xarray-eval.js";

/**
 * Expressions written as in Python, evaluated by us and by xarray (the same text, or xarray's
 * where it needs more words): keyword arguments, True/False/None, snake_case method names.
 */
const cases: [string, string?][] = [
  ['z.sel(level=500).mean("month")'],
  ["z.isel(month=[1, 0], latitude=[0, -1], level=0)"],
  ['z.isel(latitude=slice(None, 100, 3), longitude=slice(-50, None)).max(dim="month")'],
  ["u.rolling(longitude=7, center=True).mean().isel(level=0, month=0)"],
  ["u.rolling(longitude=5, center=False, min_periods=2).mean().isel(level=2, month=1)"],
  ["z.mean(skipna=False)"],
  ['z.std(dim="month", ddof=1)'],
  ['z.quantile(q=0.9, dim="latitude")', 'z.quantile(q=0.9, dim="latitude").drop_vars("quantile")'],
  ['z.sel(latitude=45.3, longitude=10.1, method="nearest")'],
  ['z.sel(level=[850, 200], latitude=slice(60, 30)).mean(["latitude", "longitude"])'],
  ['z.coarsen(latitude=3, longitude=4, boundary="trim").mean().isel(month=0)'],
  ['v.groupby_bins("latitude", [-91, 0, 90]).mean()'],
  ['z.sel(level=500).transpose("latitude", "month", "longitude").isel(longitude=0)'],
];

test("expressions written as in Python (keywords, True/False/None, snake_case names) equal xarray's", async (t) => {
  const path = fixture(t, "eraint_uvz.nc");
  if (!path) return;
  const want = xarrayEval(
    [{ path }],
    cases.map(([dae, x]) => x ?? dae),
  );
  const scope: ExpressionScope = (await openDataset(path)).vars;
  for (const [k, [expr]] of cases.entries()) {
    const got = await load(evaluateExpression(expr, scope), { executor: "inline" });
    assert.deepEqual(got.dims, want[k].dims, expr);
    assert.deepEqual(got.shape, want[k].shape, expr);
    assertClose(got.data as ArrayLike<number>, want[k].data as (number | null)[], 1e-5, 0, expr);
  }
  t.diagnostic(`${cases.length} Python-style expressions equal xarray's`);
});

test("keywords bind to parameters by name, to the by-dimension record, or to the options", () => {
  assert.deepEqual(
    parametersOf(LazyArray.prototype.quantile).map((p) => p.name),
    ["q", "dims", "options"],
  );
  assert.deepEqual(parametersOf(LazyArray.prototype.transpose), [{ name: "order", rest: true }]);
  const bind = (name: keyof LazyArray, args: unknown[], kw: [string, unknown][]) =>
    bindKeywords(name, LazyArray.prototype[name] as (...a: never[]) => unknown, args, kw, [
      "time",
      "lat",
    ]);
  assert.deepEqual(
    bind(
      "sel",
      [],
      [
        ["time", "2003"],
        ["method", "nearest"],
      ],
    ),
    [{ time: "2003" }, { method: "nearest" }],
  );
  assert.deepEqual(bind("mean", [], [["skipna", false]]), [undefined, { skipna: false }]);
  assert.deepEqual(bind("mean", [], [["dim", "time"]]), ["time"]);
  assert.deepEqual(bind("quantile", [0.5], [["dim", "lat"]]), [0.5, "lat"]);
  assert.deepEqual(
    bind(
      "rolling",
      [],
      [
        ["time", 7],
        ["min_periods", 3],
      ],
    ),
    [{ time: 7 }, { minPeriods: 3 }],
  );
  assert.deepEqual(bind("expandDims", [], [["member", 3]]), [{ member: 3 }]);
  assert.throws(() => bind("quantile", [0.5], [["q", 0.9]]), /got argument "q" twice/);
  assert.throws(() => bind("transpose", [], [["x", 1]]), /no keyword argument "x"/);
});

function messageOf(expr: string, scope: ExpressionScope): string {
  try {
    evaluateExpression(expr, scope);
  } catch (e) {
    assert.ok(e instanceof DaeError, `${expr}: ${(e as Error).stack}`);
    return e.message.split("\n")[0];
  }
  return assert.fail(`${expr}: no error`);
}

test("a bare dimension name, a misspelt method, variable or keyword: one line saying what was meant", () => {
  const month = fromArray(Int32Array.from([1, 7]), { shape: [2], dims: ["month"], name: "month" });
  const z = fromArray(new Float64Array(6), { shape: [2, 3], dims: ["month", "x"], name: "z" });
  const scope: ExpressionScope = { z, month, temp: z, ds: { vars: { temp: z } } };
  const cases: [string, RegExp][] = [
    ["z.mean(month)", /^expression: mean: month is the coordinate array \(did you mean "month"\?/],
    ["z.mean(x)", /^expression: unknown name x \(did you mean "x"\? a dimension name is a string/],
    ["z.meen()", /has no method "meen" \(did you mean mean\?\)/],
    ["meen(z)", /^expression: unknown function "meen" \(did you mean mean\?\) at character 1/],
    ["tmep + 1", /unknown name "tmep" \(names: z, month, temp, ds\) \(did you mean temp\?\)/],
    ["ds.tmep", /dataset "ds" has no variable "tmep" \(variables: temp\) \(did you mean temp\?\)/],
    [
      "z.sel(mnoth=1)",
      /"mnoth" is neither a dimension of z \(month, x\) nor an option .*\(did you mean month\?\)/,
    ],
    ['z.mean(dim="x", dim="x")', /keyword argument "dim" is given twice/],
    ["z.isel(x=0, 1)", /a positional argument cannot follow keyword arguments/],
    ["z = 1", /"=" passes a keyword argument, name=value inside a call/],
    ["z.isel(x=z)", /must be 1-D along "x", it has dims \(month, x\)$/],
    ["slice(1, stop=2)", /slice takes no keyword arguments/],
  ];
  for (const [expr, pattern] of cases) {
    const message = messageOf(expr, scope);
    assert.match(message, pattern, expr);
    assert.ok(message.length < 300, `${expr}: ${message}`);
  }
});

test("True, False and None are Python's constants", async () => {
  const z = fromArray(Float64Array.from([1, NaN, 3]), { shape: [3], dims: ["x"], name: "z" });
  const value = async (expr: string) =>
    Array.from(
      (await load(evaluateExpression(expr, { z }), { executor: "inline" }))
        .data as ArrayLike<number>,
    );
  assert.deepEqual(await value("z.sum(skipna=False)"), [NaN]);
  assert.deepEqual(await value("z.sum(skipna=True)"), [4]);
  assert.deepEqual(await value("z.isel(x=slice(None, None, -1))"), [3, NaN, 1]);
  assert.deepEqual(await value("where(True, z, 0)"), [1, NaN, 3]);
});
