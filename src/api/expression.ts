import jsep from "jsep";
import jsepObject from "@jsep-plugin/object";
import { DaeError, InputError } from "../util/errors.js";
import { align, alignOperands, joinOf, type AlignOptions } from "./align.js";
import { suggest } from "../util/suggest.js";
import { buildMap } from "./build.js";
import { bindKeywords, camelCase } from "./keyword-arguments.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { isSlice, slice } from "./selection.js";
import { callKernel } from "./user-kernels.js";

jsep.plugins.register(jsepObject);
// numpy's floor division, at the precedence of * and /
jsep.addBinaryOp("//", 10);
// keyword arguments, as Python's f(x, name=value): below every other operator
jsep.addBinaryOp("=", 0.5);
// Python's constants
jsep.addLiteral("True", true);
jsep.addLiteral("False", false);
jsep.addLiteral("None", null);
// `-a ** b` means -(a ** b) in Python but (-a) ** b to jsep: refuse it, as JavaScript does
jsep.hooks.add("after-token", function (env) {
  if (env.node?.type !== "UnaryExpression") return;
  let i = this.index;
  while (this.expr[i] === " ") i++;
  if (this.expr.startsWith("**", i))
    this.throwError(`ambiguous "${env.node.operator}" before "**": write (-a) ** b or -(a ** b)`);
});

/** A dataset in an expression's scope: its variables are reached as `NAME.var`. */
export interface ScopeDataset {
  vars: Record<string, LazyArray>;
}

/**
 * Names an expression can use: arrays by name, and datasets (e.g. what `openDataset`
 * returns) whose variables are reached as `name.var`. A getter that throws (a name two
 * inputs share) is an error only when the expression uses that name.
 */
export type ExpressionScope = Record<string, LazyArray | ScopeDataset>;

/** A value while interpreting: arrays, numbers, and the plain data method arguments take. */
type Value =
  | LazyArray
  | number
  | string
  | boolean
  | null
  | Value[]
  | { [key: string]: Value }
  | DatasetValue
  | object;

class DatasetValue {
  constructor(
    readonly name: string,
    readonly dataset: ScopeDataset,
  ) {}
}

/**
 * An error in an expression: one line (naming the position when known) and, when the
 * position is known, a second line with a caret under it, aligned for the CLI's `dae: ` prefix.
 */
export class ExpressionError extends InputError {
  override name = "ExpressionError";
  constructor(
    readonly description: string,
    readonly expression: string,
    /** 0-based index of the offending character, when known. */
    readonly index?: number,
  ) {
    super(ExpressionError.format(description, expression, index));
  }

  private static format(
    description: string,
    expression: string,
    index: number | undefined,
  ): string {
    if (index === undefined) return `expression: ${description}`;
    const line = `expression: ${description} at character ${index + 1}: `;
    return `${line}${expression}\n${" ".repeat("dae: ".length + line.length + index)}^`;
  }
}

/** Constants usable by name (unless the scope has a variable of that name). */
const CONSTANTS: Record<string, number> = { NaN: NaN, Infinity: Infinity, pi: Math.PI, e: Math.E };

/** Binary operators and the LazyArray method each maps to. */
const OPERATORS: Record<string, string> = {
  "+": "add",
  "-": "sub",
  "*": "mul",
  "/": "div",
  "//": "floordiv",
  "%": "mod",
  "**": "pow",
  "<": "lt",
  "<=": "le",
  ">": "gt",
  ">=": "ge",
  "==": "eq",
  "!=": "ne",
  "&&": "and",
  "&": "and",
  "||": "or",
  "|": "or",
  "^": "xor",
};

/** Binary elementwise methods, and how to compute them on two plain numbers (numpy's rules). */
const SCALAR_BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  floordiv: (a, b) => Math.floor(a / b),
  mod: (a, b) => {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
  pow: (a, b) => a ** b,
  lt: (a, b) => Number(a < b),
  le: (a, b) => Number(a <= b),
  gt: (a, b) => Number(a > b),
  ge: (a, b) => Number(a >= b),
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
  and: (a, b) => Number(Boolean(a) && Boolean(b)),
  or: (a, b) => Number(Boolean(a) || Boolean(b)),
  xor: (a, b) => Number(Boolean(a) !== Boolean(b)),
  minimum: (a, b) => Math.min(a, b),
  maximum: (a, b) => Math.max(a, b),
};

/** `number op array` as `array op' number`, where the operation allows it exactly. */
const SWAPPED: Record<string, string> = {
  add: "add",
  mul: "mul",
  eq: "eq",
  ne: "ne",
  and: "and",
  or: "or",
  xor: "xor",
  minimum: "minimum",
  maximum: "maximum",
  lt: "gt",
  gt: "lt",
  le: "ge",
  ge: "le",
};

const UNARY: Record<string, { method: string; scalar: (a: number) => number }> = {
  "-": { method: "neg", scalar: (a) => -a },
  "+": { method: "", scalar: (a) => a },
  "!": { method: "not", scalar: (a) => Number(!a) },
  "~": { method: "not", scalar: (a) => Number(!a) },
};

/**
 * A public method of an API object (LazyArray, or what its methods return: Rolling, GroupBy…),
 * looked up on its prototype chain at call time, so methods teammates add are callable
 * without changes here. Names starting with `_` are private.
 */
function findMethod(
  proto: object | null,
  name: string,
): ((...args: unknown[]) => unknown) | undefined {
  if (name === "constructor" || name.startsWith("_")) return undefined;
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d) return typeof d.value === "function" ? d.value : undefined;
  }
  return undefined;
}

function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (
    let p = Object.getPrototypeOf(target) as object | null;
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  )
    for (const n of Object.getOwnPropertyNames(p)) if (findMethod(p, n)) names.add(n);
  return [...names];
}

/** An instance of an API class (not plain data): its methods can be called. */
function isHandle(v: unknown): v is object {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof DatasetValue)
    return false;
  const proto = Object.getPrototypeOf(v);
  return proto !== Object.prototype && proto !== null;
}

/** Helper functions beyond the array methods. */
const FUNCTIONS = ["slice", "where", "align", "kernel", ...Object.keys(SCALAR_BINARY)];

/** Options of `evaluateExpression`. */
export interface ExpressionOptions {
  /**
   * User kernels `kernel("name", x, {...})` may call: the module file exporting each, by
   * kernel name (what `dae run --kernels FILE` loads).
   */
  kernels?: Record<string, string>;
}

/**
 * Evaluates `expression`, a JavaScript expression over the LazyArray API, against `scope`,
 * without eval: it is parsed with jsep and interpreted. Operators map to methods
 * (`+` add, `**` pow, `//` floordiv, `<` lt, `&&`/`&` and, `!`/`~` not, unary `-` neg,
 * `c ? x : y` where); `x.f(...)` calls any public method of x (LazyArray, and what its methods
 * return: Rolling, GroupBy…) and `f(x, ...)` x's method `f`. Helpers: `slice(start, stop, step)`
 * (as Python's: one argument is the stop), `where(cond, x, y)` and `align(a, b, {join})` (a
 * list, as xarray's: `align(a, b, {join: "outer"})[0]`). Errors are
 * `ExpressionError`s naming the position.
 *
 * @example
 * ```ts
 * const ds = await openDataset("eraint_uvz.nc");
 * const anomaly = evaluateExpression('z - z.mean("longitude")', ds.vars);
 * const speed = evaluateExpression("(a.u ** 2 + a.v ** 2) ** 0.5", { a: ds });
 * ```
 */
export function evaluateExpression(
  expression: string,
  scope: ExpressionScope,
  options: ExpressionOptions = {},
): LazyArray {
  const result = new Interpreter(expression, scope, options.kernels ?? {}).evaluate(
    parseExpression(expression),
  );
  if (!(result instanceof LazyArray))
    throw new ExpressionError(`the result is ${describe(result)}, not an array`, expression);
  return result;
}

/** Parses an expression with jsep; syntax errors become `ExpressionError`s with the position. */
export function parseExpression(expression: string): jsep.Expression {
  if (expression.trim() === "") throw new ExpressionError("empty expression", expression);
  try {
    return jsep(expression);
  } catch (e) {
    const err = e as Error & { index?: number; description?: string };
    if (typeof err.index !== "number") throw e;
    const description = (err.description ?? err.message).replace(/^./, (c) => c.toLowerCase());
    throw new ExpressionError(description, expression, Math.min(err.index, expression.length));
  }
}

function describe(v: Value): string {
  if (v instanceof LazyArray) return `array ${v.name}`;
  if (v instanceof DatasetValue) return `the dataset "${v.name}"`;
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (isSlice(v)) return "a slice";
  if (isHandle(v)) return `a ${v.constructor.name}`;
  if (typeof v === "object") return "an object";
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

class Interpreter {
  constructor(
    private readonly source: string,
    private readonly scope: ExpressionScope,
    private readonly kernels: Record<string, string>,
  ) {}

  private fail(description: string, at?: string): never {
    throw new ExpressionError(
      description,
      this.source,
      at === undefined ? undefined : this.find(at),
    );
  }

  /** Where `token` first occurs as a whole word (jsep nodes carry no positions). */
  private find(token: string): number | undefined {
    const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const m = new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`).exec(this.source);
    return m?.index;
  }

  evaluate(node: jsep.Expression): Value {
    switch (node.type) {
      case "Literal":
        return (node as jsep.Literal).value as Value;
      case "Identifier":
        return this.identifier((node as jsep.Identifier).name);
      case "ArrayExpression":
        return (node as jsep.ArrayExpression).elements.map((e) =>
          e ? this.evaluate(e) : this.fail("empty element in a list"),
        );
      case "ObjectExpression":
        return this.object(node);
      case "MemberExpression":
        return this.member(node as jsep.MemberExpression);
      case "CallExpression":
        return this.call(node as jsep.CallExpression);
      case "UnaryExpression":
        return this.unary(node as jsep.UnaryExpression);
      case "BinaryExpression": {
        const b = node as jsep.BinaryExpression;
        const method = OPERATORS[b.operator];
        if (b.operator === "=")
          this.fail('"=" passes a keyword argument, name=value inside a call (== compares)', "=");
        if (!method)
          this.fail(
            `operator "${b.operator}" is not supported (operators: ${Object.keys(OPERATORS).join(" ")} and unary - ! ~)`,
            b.operator,
          );
        return this.binary(method, this.evaluate(b.left), this.evaluate(b.right), b.operator);
      }
      case "ConditionalExpression": {
        const c = node as jsep.ConditionalExpression;
        return this.where(
          this.evaluate(c.test),
          this.evaluate(c.consequent),
          this.evaluate(c.alternate),
        );
      }
      case "Compound":
      case "SequenceExpression":
        return this.fail("one expression only (no ; or , between expressions)");
      default:
        return this.fail(
          `${node.type.replace(/Expression$/, "").toLowerCase() || node.type} expressions are not supported`,
        );
    }
  }

  private identifier(name: string): Value {
    if (Object.prototype.hasOwnProperty.call(this.scope, name)) {
      const v = this.scope[name];
      return v instanceof LazyArray ? v : new DatasetValue(name, v);
    }
    if (name in CONSTANTS) return CONSTANTS[name];
    if (FUNCTIONS.includes(name) || findMethod(LazyArray.prototype, name))
      this.fail(`${name} is a function: call it, ${name}(...)`, name);
    const dims = this.dimensionNames();
    if (dims.includes(name))
      this.fail(
        `unknown name ${name} (did you mean "${name}"? a dimension name is a string, in quotes)`,
        name,
      );
    const names = Object.keys(this.scope);
    return this.fail(
      `unknown name "${name}" (names: ${names.slice(0, 12).join(", ") || "none"}${names.length > 12 ? ", …" : ""})${suggest(name, names)}`,
      name,
    );
  }

  /** The dimension names of the arrays in scope (and of datasets' variables). */
  private dimensionNames(): string[] {
    const dims = new Set<string>();
    for (const key of Object.keys(this.scope)) {
      let v: LazyArray | ScopeDataset;
      try {
        v = this.scope[key];
      } catch {
        continue; // a name two inputs share: not ours to report here
      }
      for (const a of v instanceof LazyArray ? [v] : Object.values(v.vars))
        for (const d of a.dims) dims.add(d);
    }
    return [...dims];
  }

  private object(node: jsep.Expression): Value {
    const out: Record<string, Value> = {};
    for (const p of node.properties as jsep.Expression[]) {
      // jsep keeps an entry that is not `key: value` ({"a"}, {1}, {a.b}) as a bare expression
      if (p.type !== "Property" || !p.key)
        this.fail("object entries must be written key: value, e.g. {level: 500}");
      const key = p.key as jsep.Expression;
      const name = p.computed
        ? this.evaluate(key)
        : key.type === "Identifier"
          ? (key as jsep.Identifier).name
          : (key as jsep.Literal).value;
      if (typeof name !== "string" && typeof name !== "number")
        this.fail(`object keys must be names or strings, got ${describe(name as Value)}`);
      out[String(name)] = this.evaluate((p.value ?? key) as jsep.Expression);
    }
    return out;
  }

  private member(node: jsep.MemberExpression): Value {
    const object = this.evaluate(node.object);
    const key = node.computed
      ? this.evaluate(node.property)
      : (node.property as jsep.Identifier).name;
    if (object instanceof DatasetValue) {
      const vars = object.dataset.vars;
      if (typeof key !== "string" || !Object.prototype.hasOwnProperty.call(vars, key))
        this.fail(
          `dataset "${object.name}" has no variable ${JSON.stringify(key)} (variables: ${Object.keys(vars).join(", ")})${typeof key === "string" ? suggest(key, Object.keys(vars)) : ""}`,
          typeof key === "string" ? key : undefined,
        );
      return vars[key];
    }
    if (isHandle(object)) {
      if (typeof key !== "string")
        return this.fail(
          `${describe(object)} cannot be indexed by ${describe(key)}${object instanceof LazyArray ? ": use isel" : ""}`,
        );
      if (findMethod(Object.getPrototypeOf(object), key))
        this.fail(`${key} is a method: call it, ${key}(...)`, key);
      // an array's coordinates are members, as in xarray: t.time, t.lat
      if (object instanceof LazyArray && !(key in object) && object.coords[key])
        return object.coord(key);
      const value = key.startsWith("_") ? undefined : (object as Record<string, unknown>)[key];
      // plain facts (shape, dims) and API objects (t.time.dt) are members; internals are not
      if (!isPlainData(value) && !(isHandle(value) && !isRecord(value)))
        this.fail(
          `${describe(object)} has no property "${key}"${object instanceof LazyArray ? ` (coordinates: ${Object.keys(object.coords).join(", ") || "none"})` : ""}`,
          key,
        );
      return value as Value;
    }
    if (Array.isArray(object) && typeof key === "number") {
      if (!(Number.isInteger(key) && key >= 0 && key < object.length))
        this.fail(`index ${key} is out of range for a list of ${object.length}`);
      return object[key];
    }
    if (
      isRecord(object) &&
      typeof key === "string" &&
      Object.prototype.hasOwnProperty.call(object, key)
    )
      return object[key];
    return this.fail(`${describe(object)} has no member ${JSON.stringify(key)}`);
  }

  /** A call's arguments: positional ones, then Python-style `name=value` keywords. */
  private arguments(node: jsep.CallExpression): { args: Value[]; keywords: [string, Value][] } {
    const args: Value[] = [];
    const keywords: [string, Value][] = [];
    for (const a of node.arguments) {
      const b = a as jsep.BinaryExpression;
      if (a.type === "BinaryExpression" && b.operator === "=") {
        if (b.left.type !== "Identifier")
          this.fail("a keyword argument is written name=value, e.g. level=500", "=");
        const name = (b.left as jsep.Identifier).name;
        if (keywords.some(([k]) => k === name))
          this.fail(`keyword argument "${name}" is given twice`, name);
        keywords.push([name, this.evaluate(b.right)]);
      } else if (keywords.length)
        this.fail("a positional argument cannot follow keyword arguments", keywords[0][0]);
      else args.push(this.evaluate(a));
    }
    return { args, keywords };
  }

  private call(node: jsep.CallExpression): Value {
    const { args, keywords } = this.arguments(node);
    for (const a of [...args, ...keywords.map(([, v]) => v)])
      if (a instanceof DatasetValue)
        this.fail(`the dataset "${a.name}" cannot be an argument: use ${a.name}.VARIABLE`, a.name);
    const callee = node.callee;
    if (callee.type === "MemberExpression") {
      const m = callee as jsep.MemberExpression;
      const target = this.evaluate(m.object);
      const written = m.computed ? this.evaluate(m.property) : (m.property as jsep.Identifier).name;
      if (!isHandle(target))
        return this.fail(
          `${describe(target)} has no methods`,
          typeof written === "string" ? written : undefined,
        );
      // xarray's snake_case names reach our camelCase ones: groupby_bins → groupbyBins
      const name = typeof written === "string" ? methodName(target, written) : undefined;
      if (name === undefined)
        this.fail(
          `${describe(target)} has no method ${JSON.stringify(written)}${typeof written === "string" ? suggest(written, methodNames(target)) : ""}`,
          typeof written === "string" ? written : undefined,
        );
      return this.method(target, name, args, keywords, written as string);
    }
    if (callee.type !== "Identifier")
      return this.fail("only functions and array methods can be called");
    const name = (callee as jsep.Identifier).name;
    if (name === "kernel") return this.kernel(args, keywords);
    if (keywords.length && (name === "slice" || name === "where" || SCALAR_BINARY[name]))
      this.fail(`${name} takes no keyword arguments`, name);
    if (name === "slice") {
      if (
        args.length > 3 ||
        !args.every((a) => a === null || typeof a === "number" || typeof a === "string")
      )
        this.fail(
          "slice takes up to three numbers, labels or null: slice(start, stop, step)",
          name,
        );
      // one argument is the stop, as Python's slice(stop)
      const bounds = (args.length === 1 ? [null, args[0]] : args) as (number | string | null)[];
      return slice(...bounds) as unknown as Value;
    }
    if (name === "where") {
      if (args.length !== 3)
        this.fail(`where takes 3 arguments (cond, x, y), got ${args.length}`, name);
      return this.where(args[0], args[1], args[2]);
    }
    if (name === "align") {
      if (!args.every((a) => a instanceof LazyArray || isRecord(a)))
        this.fail('align takes arrays, then an options object: align(a, b, {join: "outer"})', name);
      return align(...(args as (LazyArray | AlignOptions)[]));
    }
    if (SCALAR_BINARY[name] && args.length === 2) return this.binary(name, args[0], args[1], name);
    const method = findMethod(LazyArray.prototype, camelCase(name)) ? camelCase(name) : undefined;
    if (method) {
      if (!(args[0] instanceof LazyArray))
        this.fail(
          `${name}: the first argument must be an array, got ${args.length ? describe(args[0]) : "none"}`,
          name,
        );
      return this.method(args[0], method, args.slice(1), keywords, name);
    }
    return this.fail(
      `unknown function "${name}"${suggest(name, [...FUNCTIONS, ...methodNames(Object.create(LazyArray.prototype) as object)]) || ` (functions: ${FUNCTIONS.join(", ")}, or any array method as f(array, ...))`}`,
      name,
    );
  }

  /**
   * `kernel("name", x, {dims, outDims, outSizes, dtype})`: a user kernel from a module loaded
   * with `--kernels` (options as keywords too, `dims=["time"]`); `x` may be a list of arrays.
   */
  private kernel(args: Value[], keywords: [string, Value][]): Value {
    const [name, arrays, options = {}] = args;
    if (typeof name !== "string")
      this.fail(
        'kernel takes the kernel\'s name first: kernel("name", x, {dims: ["time"]})',
        "kernel",
      );
    const file = this.kernels[name];
    if (!file) {
      const known = Object.keys(this.kernels);
      this.fail(
        known.length
          ? `no kernel "${name}" in the --kernels modules (kernels: ${known.join(", ")})${suggest(name, known)}`
          : `kernel("${name}", …) needs the module that exports it: --kernels FILE`,
        "kernel",
      );
    }
    const list = Array.isArray(arrays) ? arrays : [arrays];
    if (list.length === 0 || !list.every((a) => a instanceof LazyArray))
      this.fail(
        `kernel "${name}": the second argument must be an array or a list of arrays`,
        "kernel",
      );
    if (!isRecord(options))
      this.fail(
        `kernel "${name}": the third argument must be options, e.g. {dims: ["time"]}`,
        "kernel",
      );
    const all = { ...options, ...Object.fromEntries(keywords.map(([k, v]) => [camelCase(k), v])) };
    try {
      return callKernel(
        file,
        name,
        Array.isArray(arrays) ? (list as LazyArray[]) : (arrays as LazyArray),
        all,
      );
    } catch (e) {
      if (e instanceof DaeError)
        throw new InputError(`expression: ${oneLine(e.message)}`, { cause: e });
      throw e;
    }
  }

  /**
   * Calls a method of an API object, with keyword arguments bound as xarray's calls read (see
   * `bindKeywords`); errors other than ours mean its arguments were wrong. Messages are cut to
   * one short line: a method that prints an argument must not print a whole graph.
   */
  private method(
    target: object,
    name: string,
    args: Value[],
    keywords: [string, Value][] = [],
    written = name,
  ): Value {
    let result: unknown;
    try {
      const fn = findMethod(Object.getPrototypeOf(target), name)!;
      result = fn.apply(target, bindKeywords(name, fn, args, keywords, dimsOf(target)));
    } catch (e) {
      // z.mean(month): the coordinate variable where its dimension's name was meant
      const dims = dimsOf(target);
      const coordinate = [...args, ...keywords.map(([, v]) => v)].find(
        (a) =>
          a instanceof LazyArray && a.ndim === 1 && a.dims[0] === a.name && dims.includes(a.name),
      ) as LazyArray | undefined;
      if (coordinate)
        this.fail(
          `${written}: ${coordinate.name} is the coordinate array (did you mean "${coordinate.name}"? a dimension name is a string, in quotes)`,
          written,
        );
      if (e instanceof DaeError)
        throw new InputError(`expression: ${oneLine(e.message)}`, { cause: e });
      throw new ExpressionError(
        `${name}: bad arguments (${args.map(describe).join(", ") || "none"}): ${oneLine((e as Error).message)}`,
        this.source,
        this.find(written),
      );
    }
    if (result instanceof Promise) {
      result.catch(() => {}); // computed eagerly: not for expressions, and its failure is not ours to report
      this.fail(`${name} computes at once and cannot be part of an expression`, name);
    }
    return (result as Value) ?? null;
  }

  private unary(node: jsep.UnaryExpression): Value {
    const op = UNARY[node.operator];
    if (!op) return this.fail(`operator "${node.operator}" is not supported`, node.operator);
    const v = this.evaluate(node.argument);
    if (typeof v === "number" || typeof v === "boolean") return op.scalar(Number(v));
    if (!(v instanceof LazyArray))
      return this.fail(`"${node.operator}" needs an array or a number, got ${describe(v)}`);
    return op.method ? this.method(v, op.method, []) : v;
  }

  /** `a method b` for arrays and numbers on either side. */
  private binary(method: string, a: Value, b: Value, shown: string): Value {
    // API objects with the operation as a method (GroupBy's arithmetic) take it first
    if (isHandle(a) && !(a instanceof LazyArray) && findMethod(Object.getPrototypeOf(a), method))
      return this.method(a, method, [b]);
    const operand = (v: Value) => {
      if (typeof v === "boolean") return Number(v);
      if (typeof v === "number" || v instanceof LazyArray) return v;
      // a label, compared with a labelled array: t.time.dt.season == "JJA"
      if (typeof v === "string" && (method === "eq" || method === "ne")) return v;
      return this.fail(`"${shown}" needs arrays or numbers, got ${describe(v)}`, shown);
    };
    const x = operand(a);
    const y = operand(b);
    if (
      !(x instanceof LazyArray || y instanceof LazyArray) &&
      (typeof x === "string" || typeof y === "string")
    )
      this.fail(
        `"${shown}" compares a label with a labelled array, not with ${describe(typeof x === "string" ? y : x)}`,
        shown,
      );
    if (typeof x === "number" && typeof y === "number") return SCALAR_BINARY[method](x, y);
    if (x instanceof LazyArray) return this.method(x, method, [y]);
    const swapped = SWAPPED[method];
    if (swapped) return this.method(y as LazyArray, swapped, [x]);
    return this.elementwise(method, [x as number, y as LazyArray]);
  }

  /** xarray's `where(cond, x, y)`: x where cond holds, else y. */
  private where(cond: Value, x: Value, y: Value): Value {
    for (const v of [cond, x, y])
      if (!(typeof v === "number" || typeof v === "boolean" || v instanceof LazyArray))
        this.fail(`where needs arrays or numbers, got ${describe(v)}`, "where");
    if (!(cond instanceof LazyArray)) return cond ? x : y;
    if (x instanceof LazyArray)
      return this.method(x, "where", [cond, typeof y === "boolean" ? Number(y) : y]);
    return this.elementwise("where", [cond, Number(x), y instanceof LazyArray ? y : Number(y)]);
  }

  /**
   * An elementwise function whose first operand is not an array (`2 / z`, `where(c, 0, y)`):
   * no method has that form, so the node is built directly, with the arrays' coordinates.
   */
  private elementwise(fn: string, given: (LazyArray | number)[]): LazyArray {
    // xr.where(cond, x, y) refuses different labels; other functions join as methods do
    const operands = alignOperands(fn, given, fn === "where" ? "exact" : joinOf(fn));
    const arrays = operands.filter((o): o is LazyArray => o instanceof LazyArray);
    const built = buildMap(
      fn,
      operands.map((o) => (typeof o === "number" ? o : o.built)),
      operands.map((o) => (typeof o === "number" ? String(o) : o.name)),
    );
    const coords: Record<string, Coord> = {};
    for (const a of [...arrays].reverse()) Object.assign(coords, a.coords);
    for (const d of Object.keys(coords)) if (!built.node.dims.includes(d)) delete coords[d];
    // named after the data operand: the last array (where's condition comes first)
    const data = arrays[arrays.length - 1];
    return new LazyArray(built, coords, {}, data.name, data.chunkHint);
  }
}

/** The method `written` names on `target`: as written, or its camelCase (xarray's snake_case names). */
function methodName(target: object, written: string): string | undefined {
  const proto = Object.getPrototypeOf(target) as object;
  for (const name of [written, camelCase(written)]) if (findMethod(proto, name)) return name;
  return undefined;
}

/** The dims a method's keyword arguments may name: the array's, or the array a GroupBy/Rolling… wraps. */
function dimsOf(target: object): readonly string[] {
  if (target instanceof LazyArray) return target.dims;
  const wrapped = (target as { array?: unknown }).array;
  return wrapped instanceof LazyArray ? wrapped.dims : [];
}

/** The first line of a message, at most 300 characters. */
function oneLine(message: string): string {
  const line = message.split("\n")[0];
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function isRecord(v: unknown): v is Record<string, Value> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof DatasetValue) &&
    !isHandle(v)
  );
}

/** Numbers, strings, booleans and lists of them: array facts like `shape` and `dims`. */
function isPlainData(v: unknown): boolean {
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return true;
  return Array.isArray(v) && v.every(isPlainData);
}
