import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { arrayClass, type DType } from "../../src/array/dtype.js";
import { compute } from "../../src/api/compute.js";
import type { LazyArray } from "../../src/api/lazy-array.js";
import { fromArray, openDataset } from "../../src/api/open-dataset.js";
import { slice } from "../../src/api/selection.js";
import { python, tempDir } from "../helpers.js";
import { assertNumpyEqual, decodeNumbers, encodeNumbers, PY_ENCODE } from "./oracle.js";

/** An array operand (dtype, values) or a Python/JS scalar. */
type Operand = { dtype: DType; values: number[] } | number;

/** One elementwise case: `op` of the operands, as numpy's `np.<ufunc>` computes it. */
interface MapCase {
  op: string;
  args: Operand[];
  what: string;
}

const UFUNC: Record<string, string> = {
  add: "add",
  sub: "subtract",
  mul: "multiply",
  div: "true_divide",
  floordiv: "floor_divide",
  mod: "remainder",
  pow: "power",
  minimum: "minimum",
  maximum: "maximum",
  neg: "negative",
  abs: "absolute",
  round: "round",
  gt: "greater",
  ge: "greater_equal",
  lt: "less",
  le: "less_equal",
  eq: "equal",
  ne: "not_equal",
  and: "logical_and",
  or: "logical_or",
  xor: "logical_xor",
  not: "logical_not",
  isnull: "isnan",
  astype_bool: "lambda a: a.astype(bool)",
};

const arr = (dtype: DType, values: number[]) => ({ dtype, values });

const MAP_CASES: MapCase[] = [
  {
    what: "int16 + int16 wraps",
    op: "add",
    args: [arr("int16", [30000, -30000, 32767, 1]), arr("int16", [30000, -30000, 1, -1])],
  },
  {
    what: "int8 * int8 wraps",
    op: "mul",
    args: [arr("int8", [100, -128, 127, 16]), arr("int8", [3, -1, 127, 16])],
  },
  {
    what: "uint8 - uint8 wraps",
    op: "sub",
    args: [arr("uint8", [0, 1, 255, 10]), arr("uint8", [1, 2, 0, 20])],
  },
  {
    what: "int32 + int32 wraps",
    op: "add",
    args: [arr("int32", [2147483647, -2147483648, 5]), arr("int32", [1, -1, 6])],
  },
  {
    what: "int32 * int32 wraps exactly (products beyond 2^53)",
    op: "mul",
    args: [
      arr("int32", [2147483647, 65537, -2147483648, 123456789]),
      arr("int32", [2147483647, 65537, -1, 987654321]),
    ],
  },
  {
    what: "uint32 * uint32 wraps exactly",
    op: "mul",
    args: [arr("uint32", [4294967295, 65536, 3000000000]), arr("uint32", [4294967295, 65536, 3])],
  },
  {
    what: "int16 ** int16 wraps",
    op: "pow",
    args: [arr("int16", [3, -3, 2, 7, 0]), arr("int16", [20, 11, 15, 9, 0])],
  },
  {
    what: "int32 ** int32 wraps (powers beyond 2^53)",
    op: "pow",
    args: [arr("int32", [3, 7, -5, 2, 1]), arr("int32", [25, 20, 13, 31, 1000])],
  },
  {
    what: "int32 // int32: negatives, by zero (numpy: 0)",
    op: "floordiv",
    args: [arr("int32", [7, -7, 7, -7, 0, 5, -5, 1]), arr("int32", [2, 2, -2, -2, 0, 0, 0, 3])],
  },
  {
    what: "int32 % int32: sign of the divisor, by zero (numpy: 0)",
    op: "mod",
    args: [arr("int32", [7, -7, 7, -7, 0, 5, -5, 6]), arr("int32", [2, 2, -2, -2, 0, 0, 0, 3])],
  },
  {
    what: "int8 // 0 and % 0",
    op: "floordiv",
    args: [arr("int8", [5, -5, 0, -128]), arr("int8", [0, 0, 0, 0])],
  },
  {
    what: "float64 // float64 (Python's floor division, not floor(a/b))",
    op: "floordiv",
    args: [
      arr("float64", [1, -1, 7.5, -7.5, 5, -5, 0, 0.3, 1, -1, 0, NaN, Infinity, 1e300]),
      arr("float64", [0.1, 0.1, 2, 2, Infinity, Infinity, 0, 0.1, 0, 0, 3, 1, 2, 1e-300]),
    ],
  },
  {
    what: "float64 % float64 (sign of the divisor, signed zeros)",
    op: "mod",
    args: [
      arr("float64", [1, -1, 7.5, -7.5, 5, -5, -4, 4, 0.3, 1, -0, Infinity, 3]),
      arr("float64", [0.1, 0.1, 2, 2, Infinity, Infinity, 2, -2, 0.1, 0, 2, 2, -Infinity]),
    ],
  },
  {
    what: "float32 // and % float32",
    op: "floordiv",
    args: [arr("float32", [1, -1, 7.5, -0.5]), arr("float32", [0.1, 0.1, -2, 2])],
  },
  {
    what: "float32 % float32",
    op: "mod",
    args: [arr("float32", [1, -1, 7.5, -0.5]), arr("float32", [0.1, 0.1, -2, 2])],
  },
  ...(["gt", "ge", "lt", "le", "eq", "ne"] as const).map((op) => ({
    what: `NaN comparisons: ${op}`,
    op,
    args: [arr("float64", [NaN, 1, NaN, Infinity, -0]), arr("float64", [NaN, NaN, 1, Infinity, 0])],
  })),
  ...(["and", "or", "xor"] as const).map((op) => ({
    what: `logical ${op} (NaN is true, as numpy)`,
    op,
    args: [arr("float64", [NaN, 0, 1, -0, NaN]), arr("float64", [1, NaN, 0, NaN, 0])],
  })),
  { what: "logical not (NaN is true)", op: "not", args: [arr("float64", [NaN, 0, 1, -0])] },
  {
    what: "1e308 + 1e308 overflows to inf; denormals add",
    op: "add",
    args: [
      arr("float64", [1e308, -1e308, 5e-324, 2.2e-308]),
      arr("float64", [1e308, -1e308, 5e-324, -2.2e-308]),
    ],
  },
  {
    what: "float32 overflow to inf and float32 denormals",
    op: "add",
    args: [
      arr("float32", [3e38, -3e38, 1e-45, 1e-40]),
      arr("float32", [3e38, -3e38, 1e-45, 1e-40]),
    ],
  },
  {
    what: "tiny * tiny underflows to 0",
    op: "mul",
    args: [arr("float64", [1e-300, -1e-300, 5e-324]), arr("float64", [1e-300, 1e-300, 0.5])],
  },
  {
    what: "minimum propagates NaN",
    op: "minimum",
    args: [arr("float64", [NaN, 1, 2]), arr("float64", [1, NaN, 3])],
  },
  {
    what: "maximum propagates NaN",
    op: "maximum",
    args: [arr("float64", [NaN, 1, 2]), arr("float64", [1, NaN, 3])],
  },
  {
    what: "round half to even",
    op: "round",
    args: [arr("float64", [0.5, 1.5, 2.5, -0.5, -2.5, -3.5, 2.675, 1e300, NaN])],
  },
  { what: "abs(int8 -128) wraps", op: "abs", args: [arr("int8", [-128, -1, 5])] },
  { what: "-uint8 wraps", op: "neg", args: [arr("uint8", [0, 1, 255])] },
  { what: "int16 + 3 stays int16 (weak scalar)", op: "add", args: [arr("int16", [32767, -5]), 3] },
  { what: "int16 * 2.5 is float64", op: "mul", args: [arr("int16", [3, -5]), 2.5] },
  { what: "float32 * 2.5 stays float32", op: "mul", args: [arr("float32", [0.1, -5]), 2.5] },
  {
    what: "int8 + uint8 is int16",
    op: "add",
    args: [arr("int8", [-128, 127]), arr("uint8", [255, 255])],
  },
  {
    what: "int32 + float32 is float64",
    op: "add",
    args: [arr("int32", [16777217, -3]), arr("float32", [0.5, 0.25])],
  },
  {
    what: "int16 + float16 is float32",
    op: "add",
    args: [arr("int16", [1000, -3]), arr("float16", [0.5, 0.25])],
  },
  {
    what: "uint64 + int64 is float64",
    op: "add",
    args: [arr("uint64", [5, 7]), arr("int64", [-3, 2])],
  },
  {
    what: "int / int is float64, x/0 is ±inf or NaN",
    op: "div",
    args: [arr("int16", [7, -7, 0]), arr("int16", [2, 0, 0])],
  },
  { what: "isnull on floats", op: "isnull", args: [arr("float32", [NaN, 0, Infinity])] },
  {
    what: "bool + bool is a logical or",
    op: "add",
    args: [arr("bool", [1, 1, 0, 0]), arr("bool", [1, 0, 1, 0])],
  },
  {
    what: "bool * bool is a logical and",
    op: "mul",
    args: [arr("bool", [1, 1, 0, 0]), arr("bool", [1, 0, 1, 0])],
  },
  { what: "bool + 1 is int64", op: "add", args: [arr("bool", [1, 0]), 1] },
  {
    what: "astype(bool) of floats: nonzero and NaN are true",
    op: "astype_bool",
    args: [arr("float64", [0.5, 2, NaN, 0, -0, 256, -1e-300, Infinity])],
  },
  { what: "astype(bool) of ints", op: "astype_bool", args: [arr("int16", [256, 0, -1, 512])] },
];

function typed(dtype: DType, values: number[]) {
  const C = arrayClass(dtype);
  return dtype === "int64" || dtype === "uint64"
    ? new C(values.length).map((_, i) => BigInt(values[i]) as never)
    : (C as unknown as { from(v: number[]): never }).from(values);
}

function lazy(o: Operand, name: string): LazyArray | number {
  if (typeof o === "number") return o;
  return fromArray(typed(o.dtype, o.values), {
    shape: [o.values.length],
    dims: ["x"],
    chunks: [2],
    dtype: o.dtype,
    name,
  });
}

function applyMap(c: MapCase): LazyArray {
  const [first, ...rest] = c.args.map((a, i) => lazy(a, `a${i}`));
  if (c.op === "astype_bool") return (first as LazyArray).astype("bool");
  const method = (first as unknown as Record<string, (...a: unknown[]) => LazyArray>)[c.op];
  return method.apply(first, rest);
}

interface NumpyResult {
  dtype?: string;
  values?: string[];
  error?: string;
}

test("elementwise ops give numpy's dtypes and values: wrap-around, floor division, NaN, overflow", async () => {
  const want = numpyAnswers().map;
  const got = await compute(MAP_CASES.map(applyMap), { executor: "inline" });
  const failures: string[] = [];
  MAP_CASES.forEach((c, i) => {
    try {
      assert.equal(got[i].dtype, want[i].dtype, "dtype");
      assertNumpyEqual(got[i].data, decodeNumbers(want[i].values!), "values");
    } catch (e) {
      failures.push(`${c.what}: ${(e as Error).message.split("\n")[0]}`);
    }
  });
  assert.deepEqual(failures, []);
});

/** One reduction case over a [3, 4] array with dims (y, x), chunked (2, 3). */
interface ReduceCase {
  what: string;
  dtype: DType;
  values: number[];
  ops: string[];
  /** Reduce over these dims (undefined: all). */
  dims?: string[];
  /** Take x[2:2] first: an empty selection. */
  empty?: boolean;
  rtol?: number;
  options?: { ddof?: number };
}

const N = NaN;
/** Row y=1 and column x=2 all NaN. */
const WITH_NAN_SLICES = [1, 2, N, 4, N, N, N, N, 5, -6, N, 8];

const REDUCE_CASES: ReduceCase[] = [
  ...[["x"], ["y"], undefined].map((dims) => ({
    what: `float64 with all-NaN slices over ${dims ?? "all"}`,
    dtype: "float64" as DType,
    values: WITH_NAN_SLICES,
    ops: ["sum", "mean", "count", "min", "max", "std", "var", "prod", "median"],
    dims,
    rtol: 1e-15,
  })),
  {
    what: "float32 with all-NaN slices",
    dtype: "float32",
    values: WITH_NAN_SLICES,
    ops: ["sum", "mean", "count", "min", "max", "std", "median"],
    dims: ["x"],
    rtol: 1e-6,
  },
  {
    what: "std with ddof=1 of one value is NaN",
    dtype: "float64",
    values: WITH_NAN_SLICES,
    ops: ["std", "var"],
    dims: ["y"],
    options: { ddof: 1 },
    rtol: 1e-15,
  },
  {
    what: "empty selection x[2:2]",
    dtype: "float64",
    values: WITH_NAN_SLICES,
    ops: ["sum", "mean", "count", "prod", "std"],
    dims: ["x"],
    empty: true,
  },
  {
    what: "empty selection, all dims",
    dtype: "float64",
    values: WITH_NAN_SLICES,
    ops: ["sum", "mean", "count"],
    empty: true,
  },
  {
    what: "empty int32 selection",
    dtype: "int32",
    values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    ops: ["sum", "mean", "count"],
    dims: ["x"],
    empty: true,
  },
  {
    what: "int8 sum is int64 (no overflow)",
    dtype: "int8",
    values: [127, 127, 127, 127, -128, -128, -128, -128, 100, 100, -1, 0],
    ops: ["sum", "min", "max", "count", "mean"],
    dims: ["x"],
    rtol: 1e-15,
  },
  {
    what: "int8 sum and prod over all",
    dtype: "int8",
    values: [127, 127, 127, 127, 127, 127, 127, 127, -128, 1, 1, -1],
    ops: ["sum", "prod"],
  },
  {
    what: "int16 sum is int64",
    dtype: "int16",
    values: new Array(12).fill(30000),
    ops: ["sum", "mean"],
    dims: ["y"],
  },
  {
    what: "int32 sum is int64",
    dtype: "int32",
    values: new Array(12).fill(2147483647),
    ops: ["sum", "mean", "max"],
  },
  {
    what: "uint8 sum is uint64",
    dtype: "uint8",
    values: new Array(12).fill(255),
    ops: ["sum", "mean", "min"],
    dims: ["x"],
  },
  {
    what: "uint32 sum is uint64",
    dtype: "uint32",
    values: new Array(12).fill(4294967295),
    ops: ["sum"],
  },
  {
    what: "bool: sum counts (int64), mean is float64, any/all",
    dtype: "bool",
    values: [1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1],
    ops: ["sum", "mean", "any", "all", "count", "max"],
    dims: ["x"],
    rtol: 1e-15,
  },
  {
    what: "1e308 sums overflow to inf",
    dtype: "float64",
    values: [1e308, 1e308, 1e308, 1e308, -1e308, -1e308, -1e308, -1e308, 1, 2, 3, 4],
    ops: ["sum", "max"],
    dims: ["x"],
  },
  {
    what: "float32 3e38 sums overflow to inf",
    dtype: "float32",
    values: new Array(12).fill(3e38),
    ops: ["sum", "max"],
    dims: ["x"],
  },
  {
    what: "denormal sums",
    dtype: "float64",
    values: new Array(12).fill(5e-324),
    ops: ["sum", "mean", "min"],
    dims: ["x"],
  },
  {
    what: "any/all of NaN (NaN is true)",
    dtype: "float64",
    values: [NaN, NaN, NaN, NaN, 0, 0, 0, 0, NaN, 0, 1, 0],
    ops: ["any", "all"],
    dims: ["x"],
  },
];

function applyReduce(c: ReduceCase, op: string): LazyArray {
  let a = fromArray(typed(c.dtype, c.values), {
    shape: [3, 4],
    dims: ["y", "x"],
    chunks: [2, 3],
    dtype: c.dtype,
  });
  if (c.empty) a = a.isel({ x: slice(2, 2) }, { allowEmpty: true }); // refused unless asked for
  const method = (a as unknown as Record<string, (d?: string[], o?: object) => LazyArray>)[op];
  return method.call(a, c.dims, c.options);
}

let answers: { map: NumpyResult[]; reduce: NumpyResult[][] } | undefined;

/** numpy's and xarray's answers to MAP_CASES and REDUCE_CASES, from one python run. */
function numpyAnswers(): { map: NumpyResult[]; reduce: NumpyResult[][] } {
  answers ??= python<{ map: NumpyResult[]; reduce: NumpyResult[][] }>(`${PY_ENCODE}
import warnings
warnings.simplefilter("ignore")
map_cases = json.loads(${JSON.stringify(JSON.stringify(MAP_CASES.map((c) => ({ op: UFUNC[c.op], args: c.args.map((a) => (typeof a === "number" ? a : { dtype: a.dtype, values: encodeNumbers(a.values) })) }))))})
map_out = []
for c in map_cases:
    args = [a if not isinstance(a, dict) else dec(a["values"], a["dtype"]) for a in c["args"]]
    f = getattr(np, c["op"]) if hasattr(np, c["op"]) else eval(c["op"])
    r = np.asarray(f(*args))
    map_out.append({"dtype": r.dtype.name, "values": enc(r)})
reduce_cases = json.loads(${JSON.stringify(JSON.stringify(REDUCE_CASES.map((c) => ({ ...c, values: encodeNumbers(c.values) }))))})
reduce_out = []
for c in reduce_cases:
    da = xr.DataArray(dec(c["values"], c["dtype"]).reshape(3, 4), dims=["y", "x"])
    if c.get("empty"):
        da = da.isel(x=slice(2, 2))
    row = []
    for op in c["ops"]:
        try:
            r = getattr(da, op)(c.get("dims"), **c.get("options", {}))
            row.append({"dtype": r.dtype.name, "values": enc(r.values)})
        except Exception as e:
            row.append({"error": str(e)})
    reduce_out.append(row)
print(json.dumps({"map": map_out, "reduce": reduce_out}))
`);
  return answers!;
}

test("reductions give xarray's dtypes and values: all-NaN slices, empty selections, int sums, bool, overflow", async () => {
  const want = numpyAnswers().reduce;
  const arrays = REDUCE_CASES.flatMap((c) => c.ops.map((op) => applyReduce(c, op)));
  const got = await compute(arrays, { executor: "inline", memory: "64MB" });
  const failures: string[] = [];
  let k = 0;
  REDUCE_CASES.forEach((c, i) =>
    c.ops.forEach((op, j) => {
      const r = got[k++];
      const w = want[i][j];
      try {
        assert.equal(w.error, undefined, `xarray fails: ${w.error}`);
        assert.equal(r.dtype, w.dtype, "dtype");
        assertNumpyEqual(r.data, decodeNumbers(w.values!), "values", c.rtol);
      } catch (e) {
        failures.push(`${c.what}: ${op}: ${(e as Error).message.split("\n")[0]}`);
      }
    }),
  );
  assert.deepEqual(failures, []);
});

test("Zarr written by zarr-python (float16, bool, int8, uint8, int16): reductions and arithmetic as xarray", async (t) => {
  const store = path.join(tempDir(t), "numbers.zarr");
  /** [label, our expression, xarray expression] */
  const cases: [string, (v: Record<string, LazyArray>) => LazyArray, string][] = [
    ["h.sum('x')", (v) => v.h.sum("x"), "ds.h.sum('x')"],
    ["h.max()", (v) => v.h.max(), "ds.h.max()"],
    ["h.min('y')", (v) => v.h.min("y"), "ds.h.min('y')"],
    ["hnan.count('x')", (v) => v.hnan.count("x"), "ds.hnan.count('x')"],
    ["hnan.max('y')", (v) => v.hnan.max("y"), "ds.hnan.max('y')"],
    ["hnan.isnull()", (v) => v.hnan.isnull(), "ds.hnan.isnull()"],
    ["h * 2", (v) => v.h.mul(2), "ds.h * 2"],
    ["h > 0", (v) => v.h.gt(0), "ds.h > 0"],
    ["h + i8", (v) => v.h.add(v.i8), "ds.h + ds.i8"],
    ["b.sum('x')", (v) => v.b.sum("x"), "ds.b.sum('x')"],
    ["b.sum()", (v) => v.b.sum(), "ds.b.sum()"],
    ["b.mean('y')", (v) => v.b.mean("y"), "ds.b.mean('y')"],
    ["b.any('x')", (v) => v.b.any("x"), "ds.b.any('x')"],
    ["b.all('y')", (v) => v.b.all("y"), "ds.b.all('y')"],
    ["i8.sum('x')", (v) => v.i8.sum("x"), "ds.i8.sum('x')"],
    ["i8 + i8", (v) => v.i8.add(v.i8), "ds.i8 + ds.i8"],
    ["i8 * i8", (v) => v.i8.mul(v.i8), "ds.i8 * ds.i8"],
    ["i8 // 7", (v) => v.i8.floordiv(7), "ds.i8 // 7"],
    ["i8 % -7", (v) => v.i8.mod(-7), "ds.i8 % -7"],
    ["u8.sum()", (v) => v.u8.sum(), "ds.u8.sum()"],
    [
      "u8 - u8.T",
      (v) => v.u8.sub(v.u8.isel({ x: slice(null, null, -1) })),
      "ds.u8 - ds.u8.isel(x=slice(None, None, -1))",
    ],
    ["i16.sum('y')", (v) => v.i16.sum("y"), "ds.i16.sum('y')"],
    ["i16 + i16", (v) => v.i16.add(v.i16), "ds.i16 + ds.i16"],
    ["i16.mean('x')", (v) => v.i16.mean("x"), "ds.i16.mean('x')"],
    ["i16 + u8", (v) => v.i16.add(v.u8), "ds.i16 + ds.u8"],
  ];
  // one python run writes the store with zarr-python and evaluates the cases with xarray
  const want = python<NumpyResult[]>(`${PY_ENCODE}
import warnings
warnings.simplefilter("ignore")
import zarr
rng = np.random.default_rng(7)
arrays = {
    "h": (rng.normal(0, 100, (5, 7)).astype("f2"), (2, 3)),
    "hnan": (np.where(rng.random((5, 7)) < 0.4, np.nan, rng.normal(0, 1, (5, 7))).astype("f2"), (3, 3)),
    "b": (rng.random((5, 7)) < 0.5, (2, 4)),
    "i8": (rng.integers(-128, 128, (5, 7)).astype("i1"), (3, 2)),
    "u8": (rng.integers(0, 256, (5, 7)).astype("u1"), (5, 7)),
    "i16": (rng.integers(-32768, 32768, (5, 7)).astype(">i2"), (2, 2)),
}
g = zarr.open_group(${JSON.stringify(store)}, mode="w")
for name, (data, chunks) in arrays.items():
    z = g.create_dataset(name, data=data, chunks=chunks, fill_value=None)
    z.attrs["_ARRAY_DIMENSIONS"] = ["y", "x"]
zarr.consolidate_metadata(${JSON.stringify(store)})
ds = xr.open_zarr(${JSON.stringify(store)}, consolidated=True)
out = []
for expr in ${JSON.stringify(cases.map((c) => c[2]))}:
    r = eval(expr).compute()
    out.append({"dtype": r.dtype.name, "values": enc(r.values)})
print(json.dumps(out))
`);
  const { vars } = await openDataset(store);
  const got = await compute(
    cases.map((c) => c[1](vars)),
    { executor: "inline", memory: "256MB" },
  );
  const failures: string[] = [];
  cases.forEach(([label], i) => {
    try {
      assert.equal(got[i].dtype, want[i].dtype, "dtype");
      // float16 sums: numpy accumulates in float16 pairs, we in float64 (then round)
      assertNumpyEqual(
        got[i].data,
        decodeNumbers(want[i].values!),
        "values",
        got[i].dtype.startsWith("float") ? 2e-3 : 0,
      );
    } catch (e) {
      failures.push(`${label}: ${(e as Error).message.split("\n")[0]}`);
    }
  });
  assert.deepEqual(failures, []);
});
