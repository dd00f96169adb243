import { floatOf, isFloat, isInteger, promote, type DType, type NumberArray } from "../../array/dtype.js";
import { InputError } from "../../util/errors.js";

/** An operand of an elementwise kernel: an array of the block's length, or a scalar. */
export type Arg = NumberArray | number;

/** An elementwise function: result dtype from operand dtypes, and a kernel over a block. */
export interface ElementwiseFn {
  arity: number;
  /** Result dtype; `scalars[i]` says operand i is a plain number (numpy's weak scalar rule). */
  dtype(dtypes: DType[], scalars: boolean[], values: (number | undefined)[]): DType;
  /** Writes `out[i] = f(args...[i])` for i in [0, out.length). */
  run(out: NumberArray, args: Arg[]): void;
}

const at = (a: Arg, i: number): number => (typeof a === "number" ? a : a[i]);

/**
 * The dtype numpy gives an operation between operands, where a Python scalar does not widen
 * an array of the same kind (float32 * 2.5 stays float32; int16 + 1 stays int16), but a
 * float scalar makes an integer array float64.
 */
export function resultDType(dtypes: DType[], scalars: boolean[], values: (number | undefined)[]): DType {
  const arrays = dtypes.filter((_, i) => !scalars[i]);
  if (arrays.length === 0) return dtypes.some((_, i) => !Number.isInteger(values[i])) ? "float64" : "int64";
  let t = arrays.reduce(promote);
  const floatScalar = dtypes.some((_, i) => scalars[i] && !Number.isInteger(values[i]));
  if (floatScalar && !isFloat(t)) t = "float64";
  return t;
}

function unary(f: (x: number) => number, dtype: (t: DType) => DType): ElementwiseFn {
  return {
    arity: 1,
    dtype: (ts) => dtype(ts[0]),
    run(out, [a]) {
      if (typeof a === "number") out.fill(f(a));
      else for (let i = 0; i < out.length; i++) out[i] = f(a[i]);
    },
  };
}

function binary(f: (x: number, y: number) => number, dtype = resultDType): ElementwiseFn {
  return {
    arity: 2,
    dtype,
    run(out, [a, b]) {
      const n = out.length;
      if (typeof a !== "number" && typeof b !== "number") for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
      else if (typeof b === "number") for (let i = 0; i < n; i++) out[i] = f(at(a, i), b);
      else for (let i = 0; i < n; i++) out[i] = f(a as number, b[i]);
    },
  };
}

/** Comparisons: bool results, NaN compares false (true for `ne`), as numpy. */
function compare(f: (x: number, y: number) => boolean): ElementwiseFn {
  return binary((x, y) => (f(x, y) ? 1 : 0), () => "bool");
}

const same = (t: DType) => t;
const toFloat = (t: DType) => floatOf(t);
const toBool = () => "bool" as DType;
const floatResult = (ts: DType[], s: boolean[], v: (number | undefined)[]) => floatOf(resultDType(ts, s, v));

/** numpy's floor division: floor for floats, 0 when dividing an integer by 0. */
function floorDiv(x: number, y: number): number {
  return Math.floor(x / y);
}

/** numpy's remainder: the sign of the divisor. */
function mod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

/** numpy's round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const functions: Record<string, ElementwiseFn> = {
  add: binary((x, y) => x + y),
  sub: binary((x, y) => x - y),
  mul: binary((x, y) => x * y),
  div: binary((x, y) => x / y, floatResult),
  floordiv: binary(floorDiv),
  mod: binary(mod),
  pow: binary(Math.pow),
  minimum: binary((x, y) => (x < y || Number.isNaN(x) ? x : y)),
  maximum: binary((x, y) => (x > y || Number.isNaN(x) ? x : y)),
  neg: unary((x) => -x, same),
  abs: unary(Math.abs, same),
  sqrt: unary(Math.sqrt, toFloat),
  exp: unary(Math.exp, toFloat),
  log: unary(Math.log, toFloat),
  log10: unary(Math.log10, toFloat),
  sin: unary(Math.sin, toFloat),
  cos: unary(Math.cos, toFloat),
  tan: unary(Math.tan, toFloat),
  floor: unary(Math.floor, toFloat),
  ceil: unary(Math.ceil, toFloat),
  round: unary(roundHalfEven, (t) => (isInteger(t) ? t : floatOf(t))),
  gt: compare((x, y) => x > y),
  ge: compare((x, y) => x >= y),
  lt: compare((x, y) => x < y),
  le: compare((x, y) => x <= y),
  eq: compare((x, y) => x === y),
  ne: compare((x, y) => x !== y),
  and: binary((x, y) => (x && y ? 1 : 0), toBool),
  or: binary((x, y) => (x || y ? 1 : 0), toBool),
  xor: binary((x, y) => (!x !== !y ? 1 : 0), toBool),
  not: unary((x) => (x ? 0 : 1), toBool),
  isnull: unary((x) => (Number.isNaN(x) ? 1 : 0), toBool),
  notnull: unary((x) => (Number.isNaN(x) ? 0 : 1), toBool),
  /** astype: the output array's dtype does the conversion (truncation toward zero for ints). */
  identity: unary((x) => x, same),
  fillna: binary((x, v) => (Number.isNaN(x) ? v : x)),
  where: {
    arity: 3,
    dtype: (ts, s, v) => resultDType(ts.slice(1), s.slice(1), v.slice(1)),
    run(out, [c, x, y]) {
      for (let i = 0; i < out.length; i++) out[i] = at(c, i) ? at(x, i) : at(y, i);
    },
  },
  clip: {
    arity: 3,
    dtype: resultDType,
    run(out, [x, lo, hi]) {
      for (let i = 0; i < out.length; i++) {
        const v = at(x, i);
        const l = at(lo, i);
        const h = at(hi, i);
        out[i] = v < l ? l : v > h ? h : v;
      }
    },
  },
};

/** The elementwise function `name`, or an error listing the known ones. */
export function elementwise(name: string): ElementwiseFn {
  const f = functions[name];
  if (!f) throw new InputError(`unknown elementwise function "${name}" (known: ${Object.keys(functions).join(", ")})`);
  return f;
}

export const ELEMENTWISE_NAMES = Object.keys(functions);
