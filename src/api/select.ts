import type { ViewAxis } from "../core/graph.js";
import { InputError } from "../util/errors.js";
import { suggest } from "../util/suggest.js";
import { buildView } from "./build.js";
import { sliceCoord, type Coord } from "./coords.js";
import { knownValues } from "./known-values.js";
import { LazyArray } from "./lazy-array.js";
import {
  resolveIndex,
  resolveLabel,
  type IndexKey,
  type LabelKey,
  type Resolved,
  type SelectOptions,
  type SelOptions,
} from "./selection.js";
import { buildWindow } from "./windows.js";

/** An `isel` key, or a 1-D array whose values are known now (a mask of coordinates). */
export type IselKey = IndexKey | LazyArray;

/** A `sel` key, or a 1-D boolean array whose values are known now. */
export type SelKey = LabelKey | LazyArray;

/**
 * A 1-D array used as a key: its values, now (booleans for a bool array, as a mask). Arrays
 * read from storage cannot be keys: xarray would load them, we would compute behind the
 * user's back.
 */
function keyValues(op: string, dim: string, key: LazyArray): boolean[] | number[] {
  if (key.ndim !== 1 || key.dims[0] !== dim)
    throw new InputError(
      `${op}: the array given for dimension "${dim}" must be 1-D along "${dim}", it has dims (${key.dims.join(", ")})`,
    );
  const values = knownValues(key.built);
  if (!values)
    throw new InputError(
      `${op}: the array ${key.name} given for "${dim}" is not in memory: compute it first (load), or build it from coordinates (t.time.dt.month == 7)`,
    );
  return key.dtype === "bool" ? Array.from(values, (v) => v !== 0) : Array.from(values);
}

/**
 * Refuses an option we do not know: in an expression `sel(levle=500)` lands among the
 * options, and ignoring it would return the whole array.
 */
function checkOptions(
  op: string,
  array: LazyArray,
  selection: unknown,
  options: object,
  known: string[],
) {
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new InputError(
        `${op}: "${key}" is neither a dimension of ${array.name} (${array.dims.join(", ")}) nor an option (${known.join(", ")})${suggest(key, [...array.dims, ...known])}`,
      );
  if (typeof selection !== "object" || selection === null || Array.isArray(selection))
    throw new InputError(
      `${op}: give the selection by dimension, e.g. ${op}({ ${array.dims[0] ?? "x"}: 0 })`,
    );
}

/** `isel` as in xarray: indices, slices, lists of indices (negative from the end), 1-D boolean masks. */
export function isel(
  array: LazyArray,
  selection: Record<string, IselKey>,
  options: SelectOptions = {},
): LazyArray {
  checkOptions("isel", array, selection, options, ["allowEmpty"]);
  const resolved: Record<string, Resolved> = {};
  for (const [dim, key] of Object.entries(selection)) {
    const length = array.sizeOf(dim);
    resolved[dim] = resolveIndex(
      dim,
      length,
      key instanceof LazyArray ? keyValues("isel", dim, key) : key,
      options,
    );
  }
  return select(array, resolved);
}

/** `sel` as in xarray: labels, partial dates, slices and lists of labels, nearest/pad/backfill, masks. */
export function sel(
  array: LazyArray,
  selection: Record<string, SelKey>,
  options: SelOptions = {},
): LazyArray {
  checkOptions("sel", array, selection, options, ["method", "tolerance", "allowEmpty"]);
  const resolved: Record<string, Resolved> = {};
  for (const [dim, key] of Object.entries(selection)) {
    const length = array.sizeOf(dim);
    if (key instanceof LazyArray || isBooleanList(key)) {
      // a boolean mask selects by position, as xarray's sel does with one
      const mask = key instanceof LazyArray ? keyValues("sel", dim, key) : key;
      if (!isBooleanList(mask))
        throw new InputError(
          `sel: the array given for "${dim}" must be a boolean mask (labels are given as a list)`,
        );
      resolved[dim] = resolveIndex(dim, length, mask, options);
    } else resolved[dim] = resolveLabel(array.coords[dim], dim, key, options);
  }
  return select(array, resolved);
}

function isBooleanList(v: unknown): v is boolean[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "boolean");
}

/** Positions in a constant non-zero step read as a strided view; others are gathered. */
function asRange(positions: number[]): Resolved | undefined {
  if (positions.length === 0) return { kind: "range", start: 0, step: 1, count: 0 };
  const step = positions.length > 1 ? positions[1] - positions[0] : 1;
  if (step === 0 || positions.some((p, i) => p !== positions[0] + step * i)) return undefined;
  return { kind: "range", start: positions[0], step, count: positions.length };
}

/**
 * The array at the resolved positions: ranges and indices are one view (no copy); lists of
 * positions then gather along their dims (a window node reading only the runs it needs).
 */
export function select(array: LazyArray, resolved: Record<string, Resolved>): LazyArray {
  const dims: string[] = [];
  const shape: number[] = [];
  const axes: ViewAxis[] = [];
  const fixed: Record<string, number> = {};
  const coords: Record<string, Coord> = {};
  const gathers: [string, number[]][] = [];
  array.dims.forEach((d, i) => {
    let r = resolved[d] ?? { kind: "range", start: 0, step: 1, count: array.shape[i] };
    if (r.kind === "positions") {
      const range = asRange(r.positions);
      if (range) r = range;
      else gathers.push([d, r.positions]);
    }
    if (r.kind === "index") {
      fixed[d] = r.index;
      return;
    }
    const [start, step, count] =
      r.kind === "range" ? [r.start, r.step, r.count] : [0, 1, array.shape[i]];
    dims.push(d);
    shape.push(count);
    axes.push({ inDim: d, start, step });
    const c = array.coords[d];
    if (c) coords[d] = r.kind === "range" ? sliceCoord(c, start, step, count) : c;
  });
  let built = buildView(array.built, dims, shape, axes, fixed);
  for (const [d, positions] of gathers) {
    const at = built.node.dims.indexOf(d);
    built = buildWindow(
      "gather",
      [{ built, windows: { [d]: { outDim: d, offset: 0, step: 1, size: 1, index: positions } } }],
      [...built.node.dims],
      built.node.shape.map((n, k) => (k === at ? positions.length : n)),
      built.node.dtype,
      { fn: `select ${d}` },
    );
    if (array.coords[d])
      coords[d] = {
        ...array.coords[d],
        values: Float64Array.from(positions, (p) => array.coords[d].values[p]),
      };
  }
  const hint: Record<string, number> = {};
  for (const [d, n] of Object.entries(array.chunkHint)) if (dims.includes(d)) hint[d] = n;
  return new LazyArray(built, coords, array.attrs, array.name, hint);
}

/** Options of `where`. */
export interface WhereOptions {
  /** Drop the labels along each of `cond`'s dims where it is false throughout, as xarray's `drop=True`. */
  drop?: boolean;
}

/**
 * `array` without the positions, along each of `cond`'s dims, where `cond` is false for
 * every element (xarray's `where(cond, drop=True)`). `cond` must be known now.
 */
export function dropWhereFalse(array: LazyArray, cond: LazyArray | number): LazyArray {
  if (typeof cond === "number") return array;
  const values = knownValues(cond.built);
  if (!values)
    throw new InputError(
      `where(drop): the condition ${cond.name} is not in memory: build it from coordinates (t.lat > 0, t.time.dt.month == 7) or compute it first`,
    );
  const keep: Record<string, number[]> = {};
  const strides = cond.shape.map((_, k) => cond.shape.slice(k + 1).reduce((a, b) => a * b, 1));
  cond.dims.forEach((d, k) => {
    const any = new Uint8Array(cond.shape[k]);
    values.forEach((v, i) => {
      if (v !== 0 && v === v) any[Math.floor(i / strides[k]) % cond.shape[k]] = 1;
    });
    keep[d] = [...any.keys()].filter((i) => any[i]);
  });
  return isel(array, keep, { allowEmpty: true });
}
