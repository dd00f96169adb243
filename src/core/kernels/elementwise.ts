import {
  floatOf,
  isFloat,
  isInteger,
  promote,
  type DType,
  type NumberArray,
} from "../../array/dtype.js";
import { InputError } from "../../util/errors.js";
import { nativeLoops } from "../../util/native-loops.js";
import { BoolBlock } from "./numeric.js";

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
export function resultDType(
  dtypes: DType[],
  scalars: boolean[],
  values: (number | undefined)[],
): DType {
  const arrays = dtypes.filter((_, i) => !scalars[i]);
  if (arrays.length === 0)
    return dtypes.some((_, i) => !Number.isInteger(values[i])) ? "float64" : "int64";
  let t = arrays.reduce(promote);
  const floatScalar = dtypes.some((_, i) => scalars[i] && !Number.isInteger(values[i]));
  if (floatScalar && !isFloat(t)) t = "float64";
  // a number is of a higher kind than bool: bool + 1 is int64 in numpy
  else if (t === "bool" && scalars.some(Boolean)) t = "int64";
  return t;
}

/** numpy's truth of a number: NaN is true. */
const truthy = (x: number) => x !== 0;

/** `f` as it writes into `out`: a bool block stores the truth of each value, as numpy's cast to bool. */
function storing1(out: NumberArray, f: (x: number) => number): (x: number) => number {
  return out instanceof BoolBlock ? (x) => (truthy(f(x)) ? 1 : 0) : f;
}

function storing2(
  out: NumberArray,
  f: (x: number, y: number) => number,
): (x: number, y: number) => number {
  return out instanceof BoolBlock ? (x, y) => (truthy(f(x, y)) ? 1 : 0) : f;
}

function unary(f: (x: number) => number, dtype: (t: DType) => DType): ElementwiseFn {
  return {
    arity: 1,
    dtype: (ts) => dtype(ts[0]),
    run(out, [a]) {
      const g = storing1(out, f);
      if (typeof a === "number") out.fill(g(a));
      else for (let i = 0; i < out.length; i++) out[i] = g(a[i]);
    },
  };
}

/**
 * Whether a block holds an integer dtype of at most 32 bits (int64/uint64 blocks are
 * Float64Array in the engine, exact to 2^53: they take the float formulas).
 */
function isInt32Block(out: NumberArray): boolean {
  return !(out instanceof Float64Array || out instanceof Float32Array);
}

/**
 * Loops of one arithmetic operator written out, for the hot float path: a loop that calls
 * `f` through the shared `binary` closure is megamorphic (every operator shares its feedback)
 * and costs a call per element; these inline the operator.
 */
interface Loops {
  /** The operator's code for the C loops (`NativeLoops.arithmetic`), which float blocks take first. */
  native: number;
  both(out: NumberArray, a: NumberArray, b: NumberArray): void;
  right(out: NumberArray, a: NumberArray, y: number): void;
  left(out: NumberArray, x: number, b: NumberArray): void;
}

/**
 * A binary function; `intF`, when given, computes it for integer blocks of at most 32 bits,
 * where the float formula would lose the low bits that numpy's wrap-around keeps; `loops`,
 * when given, are `f` written out for blocks that store numbers (not bools, not `intF`'s).
 */
function binary(
  f: (x: number, y: number) => number,
  dtype = resultDType,
  intF?: (x: number, y: number) => number,
  loops?: Loops,
): ElementwiseFn {
  return {
    arity: 2,
    dtype,
    run(out, [a, b]) {
      const useInt = intF !== undefined && isInt32Block(out);
      if (loops && !useInt && !(out instanceof BoolBlock)) {
        if (nativeLoops()?.arithmetic(loops.native, out, a, b)) return;
        if (typeof a !== "number" && typeof b !== "number") loops.both(out, a, b);
        else if (typeof b === "number") {
          if (typeof a === "number") out.fill(f(a, b));
          else loops.right(out, a, b);
        } else loops.left(out, a as number, b);
        return;
      }
      const g = storing2(out, useInt ? intF : f);
      const n = out.length;
      if (typeof a !== "number" && typeof b !== "number")
        for (let i = 0; i < n; i++) out[i] = g(a[i], b[i]);
      else if (typeof b === "number") for (let i = 0; i < n; i++) out[i] = g(at(a, i), b);
      else for (let i = 0; i < n; i++) out[i] = g(a as number, b[i]);
    },
  };
}

/** Comparisons: bool results, NaN compares false (true for `ne`), as numpy. */
function compare(f: (x: number, y: number) => boolean): ElementwiseFn {
  return binary(
    (x, y) => (f(x, y) ? 1 : 0),
    () => "bool",
  );
}

const same = (t: DType) => t;
const toFloat = (t: DType) => floatOf(t);
const toBool = () => "bool" as DType;
const floatResult = (ts: DType[], s: boolean[], v: (number | undefined)[]) =>
  floatOf(resultDType(ts, s, v));

/**
 * numpy's floor division (its `npy_divmod`): from the exact remainder, so `1 // 0.1` is 9 as
 * in Python, not floor(1 / 0.1) = 10. By zero: ±inf or NaN, which an integer block stores as 0,
 * as numpy gives for integers.
 */
function floorDiv(x: number, y: number): number {
  if (y === 0) return x / y;
  const m = x % y;
  let div = (x - m) / y;
  if (m !== 0 && y < 0 !== m < 0) div -= 1;
  if (div === 0) return x / y < 0 || Object.is(x / y, -0) ? -0 : 0;
  const floor = Math.floor(div);
  return div - floor > 0.5 ? floor + 1 : floor;
}

/** numpy's remainder: the sign of the divisor (a zero remainder too); NaN by zero (0 for integers). */
function mod(x: number, y: number): number {
  const r = x % y;
  if (r === 0 && y !== 0) return y < 0 ? -0 : 0;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

/** Integer power by squaring with 32-bit wrap-around (numpy's integer `**`); negative powers truncate. */
function intPow(x: number, y: number): number {
  if (y < 0) return Math.trunc(Math.pow(x, y));
  let result = 1;
  for (let base = x | 0, e = y; e > 0; e = Math.floor(e / 2)) {
    if (e % 2) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

/** numpy's round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const functions: Record<string, ElementwiseFn> = {
  add: binary((x, y) => x + y, resultDType, undefined, {
    native: 0,
    both: (o, a, b) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] + b[i];
    },
    right: (o, a, y) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] + y;
    },
    left: (o, x, b) => {
      for (let i = 0; i < o.length; i++) o[i] = x + b[i];
    },
  }),
  sub: binary((x, y) => x - y, resultDType, undefined, {
    native: 1,
    both: (o, a, b) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] - b[i];
    },
    right: (o, a, y) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] - y;
    },
    left: (o, x, b) => {
      for (let i = 0; i < o.length; i++) o[i] = x - b[i];
    },
  }),
  mul: binary((x, y) => x * y, resultDType, Math.imul, {
    native: 2,
    both: (o, a, b) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] * b[i];
    },
    right: (o, a, y) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] * y;
    },
    left: (o, x, b) => {
      for (let i = 0; i < o.length; i++) o[i] = x * b[i];
    },
  }),
  div: binary((x, y) => x / y, floatResult, undefined, {
    native: 3,
    both: (o, a, b) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] / b[i];
    },
    right: (o, a, y) => {
      for (let i = 0; i < o.length; i++) o[i] = a[i] / y;
    },
    left: (o, x, b) => {
      for (let i = 0; i < o.length; i++) o[i] = x / b[i];
    },
  }),
  floordiv: binary(floorDiv),
  mod: binary(mod),
  pow: binary(Math.pow, resultDType, intPow),
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
  and: binary((x, y) => (truthy(x) && truthy(y) ? 1 : 0), toBool),
  or: binary((x, y) => (truthy(x) || truthy(y) ? 1 : 0), toBool),
  xor: binary((x, y) => (truthy(x) !== truthy(y) ? 1 : 0), toBool),
  not: unary((x) => (truthy(x) ? 0 : 1), toBool),
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
  if (!f)
    throw new InputError(
      `unknown elementwise function "${name}" (known: ${Object.keys(functions).join(", ")})`,
    );
  return f;
}

export const ELEMENTWISE_NAMES = Object.keys(functions);
