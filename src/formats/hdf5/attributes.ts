import type { AttrValue, Attrs } from "../../array/chunked-array.js";
import type { Attribute, Dataset, Group } from "h5wasm/node";

type HasAttrs = Group | Dataset;

/** Attributes that HDF5 dimension scales and the netCDF-4 library keep for themselves. */
const INTERNAL = new Set([
  "DIMENSION_LIST",
  "REFERENCE_LIST",
  "_Netcdf4Dimid",
  "_Netcdf4Coordinates",
  "_NCProperties",
  "_nc3_strict",
]);
/** Kept by dimension scales only (a plain dataset may have its own CLASS or NAME). */
const SCALE_INTERNAL = new Set(["CLASS", "NAME"]);

/** H5T_class_t values. */
const H5T = { INTEGER: 0, FLOAT: 1, STRING: 3, ENUM: 8 } as const;

/**
 * The attributes of a group or dataset as plain JSON-like values, the way the netCDF library
 * shows them: strings as strings, one number as a number, several as a list (NaN stays NaN).
 * HDF5/netCDF internals are dropped, and so are attributes of types with no plain value
 * (references, compounds, opaque).
 */
export function plainAttrs(attrs: HasAttrs["attrs"], isScale: boolean): Attrs {
  const out: Attrs = {};
  // lazy getters: internals are skipped before h5wasm reads them
  for (const name of Object.keys(attrs)) {
    if (INTERNAL.has(name) || (isScale && SCALE_INTERNAL.has(name))) continue;
    const value = plainValue(attrs[name]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The `CLASS` attribute says "DIMENSION_SCALE". */
export function isDimensionScale(attrs: HasAttrs["attrs"]): boolean {
  return "CLASS" in attrs && plainValue(attrs.CLASS) === "DIMENSION_SCALE";
}

function plainValue(attr: Attribute): AttrValue | undefined {
  const { type } = attr.metadata;
  if (type === H5T.STRING) {
    const v = attr.value;
    const list = (Array.isArray(v) ? v : [v]).map((s) => String(s).replace(/\0+$/, ""));
    return list.length === 1 ? list[0] : list;
  }
  if (type === H5T.INTEGER || type === H5T.FLOAT || type === H5T.ENUM) {
    const v = type === H5T.ENUM ? attr.json_value : attr.value;
    const list = isListLike(v)
      ? Array.from(v as ArrayLike<number | bigint | boolean>)
      : [v as number | bigint | boolean];
    const plain = list.map((x) => (typeof x === "bigint" ? Number(x) : x));
    return plain.length === 1 ? plain[0] : plain;
  }
  return undefined;
}

function isListLike(v: unknown): boolean {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}
