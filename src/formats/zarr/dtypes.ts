import { isDType, type DType } from "../../array/dtype.js";

/** A Zarr dtype as we hold it: the engine dtype and the byte order of the stored values. */
export interface ZarrDType {
  dtype: DType;
  endian: "little" | "big";
}

const V2_CODES: Record<string, DType> = {
  b1: "bool",
  i1: "int8",
  u1: "uint8",
  i2: "int16",
  u2: "uint16",
  i4: "int32",
  u4: "uint32",
  i8: "int64",
  u8: "uint64",
  f2: "float16",
  f4: "float32",
  f8: "float64",
};

/**
 * Parses a v2 dtype (`<f4`, `|b1`, `>i2`). Returns `undefined` for valid Zarr dtypes that are
 * not numeric (strings, objects, datetimes, structured): those arrays are skipped, not errors.
 * Throws nothing: the caller decides how to report an unknown string.
 */
export function parseV2DType(typestr: unknown): ZarrDType | "unsupported" | undefined {
  if (Array.isArray(typestr)) return "unsupported"; // structured dtype
  if (typeof typestr !== "string") return undefined;
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(\[.*\])?$/.exec(typestr);
  if (!m) return undefined;
  const dtype = V2_CODES[`${m[2]}${m[3]}`];
  if (dtype && !m[4]) return { dtype, endian: m[1] === ">" ? "big" : "little" };
  return "SUOVMmc".includes(m[2]) ? "unsupported" : undefined;
}

/** The v2 dtype string of `dtype` (little-endian, as numpy writes it on x86). */
export function v2DTypeString(dtype: DType): string {
  const code = Object.keys(V2_CODES).find((k) => V2_CODES[k] === dtype)!;
  return `${code.endsWith("1") ? "|" : "<"}${code}`;
}

const V3_UNSUPPORTED =
  /^(string|bytes|fixed_length_utf32|complex\d+|r\d+|numpy\..*|datetime.*|timedelta.*)$/;

/** Parses a v3 `data_type`: our name, `unsupported` for valid non-numeric types, or undefined. */
export function parseV3DType(name: unknown): DType | "unsupported" | undefined {
  if (typeof name !== "string")
    return typeof name === "object" && name !== null ? "unsupported" : undefined;
  if (isDType(name)) return name;
  return V3_UNSUPPORTED.test(name) ? "unsupported" : undefined;
}

/**
 * The dtype the codec pipeline works in: float16 travels as its uint16 bits (Node 20 has no
 * Float16Array, which zarrita would need) and bool as uint8 (zarrita's BoolArray is not a
 * typed array); both have the same bytes on disk.
 */
export function storageDType(dtype: DType): DType {
  if (dtype === "float16") return "uint16";
  if (dtype === "bool") return "uint8";
  return dtype;
}
