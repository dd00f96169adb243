import { InputError } from "../util/errors.js";

/** One parameter of a function as its source declares it. */
interface Parameter {
  /** Its name ("" for a destructured one). */
  name: string;
  rest: boolean;
}

const cache = new WeakMap<object, Parameter[]>();

/**
 * The parameters of a method, read from its source text (`sel(selection, options) {…}`):
 * what lets expressions pass keyword arguments to any method, teammates' new ones included,
 * without a table to keep in step.
 */
export function parametersOf(fn: (...args: never[]) => unknown): Parameter[] {
  const known = cache.get(fn);
  if (known) return known;
  const text = Function.prototype.toString.call(fn);
  const open = text.indexOf("(");
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let current = "";
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") current += c + text[++i];
      else {
        if (c === quote) quote = "";
        current += c;
      }
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      if (depth === 0) break;
      depth--;
    } else if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  if (current.trim()) parts.push(current);
  const params = parts.map((p) => {
    const declared = p.split("=")[0].trim();
    const rest = declared.startsWith("...");
    const name = declared.replace(/^\.\.\./, "");
    return { name: /^[A-Za-z_$][\w$]*$/.test(name) ? name : "", rest };
  });
  cache.set(fn, params);
  return params;
}

/** A Python name as ours: `min_periods` → `minPeriods`. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Python's parameter names where ours differ (xarray's `dim` is our `dims`). */
const ALIASES: Record<string, string[]> = { dim: ["dims"], dims: ["dim"] };

/**
 * Positional arguments for `fn` from Python-style ones, as xarray's calls read: a keyword
 * naming a parameter fills it (`quantile(q=0.9)`, `mean(dim="time")`); a keyword naming a
 * dimension of the target goes into the first parameter, the by-dimension record
 * (`sel(level=500)`, `rolling(time=7)`); any other goes into the `options` parameter
 * (`rolling(time=7, center=True)`, `mean(skipna=False)`), or into the first parameter when
 * there is none (`expandDims(member=3)`).
 *
 * @example
 * ```ts
 * bindKeywords("sel", LazyArray.prototype.sel, [], [["level", 500], ["method", "nearest"]], ["level"]);
 * // [{ level: 500 }, { method: "nearest" }]
 * ```
 */
export function bindKeywords<V>(
  method: string,
  fn: (...args: never[]) => unknown,
  positional: V[],
  keywords: [string, V][],
  dims: readonly string[],
): (V | undefined | Record<string, V>)[] {
  if (keywords.length === 0) return positional;
  const params = parametersOf(fn);
  const args: (V | undefined | Record<string, V>)[] = [...positional];
  const record = (at: number): Record<string, V> => {
    if (at < positional.length)
      throw new InputError(
        `${method}: keyword arguments cannot be merged into argument ${at + 1}, given by position: give them all as keywords or all in the object`,
      );
    const v = args[at];
    if (v === undefined) args[at] = {};
    else if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new InputError(`${method}: argument ${at + 1} is not a set of keywords`);
    return args[at] as Record<string, V>;
  };
  const optionsAt = params.findIndex((p) => p.name === "options");
  for (const [python, value] of keywords) {
    const name = camelCase(python);
    const at = params.findIndex(
      (p) =>
        !p.rest &&
        p.name !== "" &&
        p.name !== "options" &&
        [name, ...(ALIASES[name] ?? [])].includes(p.name),
    );
    if (at >= 0) {
      if (at < positional.length)
        throw new InputError(
          `${method}: got argument "${python}" twice (by position and by keyword)`,
        );
      args[at] = value;
    } else if (dims.includes(python) && params.length > 0 && !params[0].rest)
      record(0)[python] = value;
    else if (optionsAt >= 0) record(optionsAt)[name] = value;
    else if (params.length > 0 && !params[0].rest) record(0)[python] = value;
    else
      throw new InputError(
        `${method}: no keyword argument "${python}" (arguments: ${params.map((p) => p.name).join(", ") || "none"})`,
      );
  }
  for (let i = 0; i < args.length; i++) if (!(i in args)) args[i] = undefined;
  return args;
}
