import type { FillValue } from "../../array/chunked-array.js";
import { isBigInt, isFloat, isInteger, type DType, type TypedArray } from "../../array/dtype.js";

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/**
 * Parses a stored `fill_value` for `dtype`: numbers, `"NaN"`/`"Infinity"`, v3 hex bit patterns
 * (`"0x7fc00000"`), booleans, null. Returns `undefined` when the value does not fit the dtype.
 */
export function parseFillValue(raw: unknown, dtype: DType): FillValue | undefined {
  if (raw === null) return null;
  if (dtype === "bool")
    return typeof raw === "boolean" ? raw : raw === 0 || raw === 1 ? raw === 1 : undefined;
  if (isFloat(dtype)) {
    if (typeof raw === "number") return raw;
    if (typeof raw === "string" && raw in SPECIAL) return SPECIAL[raw];
    if (typeof raw === "string" && /^0x[0-9a-fA-F]+$/.test(raw)) return hexToFloat(raw, dtype);
    return undefined;
  }
  if (typeof raw === "boolean") return Number(raw);
  if (typeof raw === "bigint") return isBigInt(dtype) ? raw : Number(raw);
  if (typeof raw !== "number" || !Number.isInteger(raw)) return undefined;
  return isBigInt(dtype) ? BigInt(raw) : raw;
}

function hexToFloat(hex: string, dtype: DType): number {
  const bits = BigInt(hex);
  const view = new DataView(new ArrayBuffer(8));
  if (dtype === "float64") {
    view.setBigUint64(0, bits);
    return view.getFloat64(0);
  }
  if (dtype === "float32") {
    view.setUint32(0, Number(bits));
    return view.getFloat32(0);
  }
  const h = Number(bits);
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return exp === 0 ? sign * frac * 2 ** -24 : sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The fill value as JSON for metadata (`"NaN"` for NaN; v3 has no null fill, so 0 there). */
export function fillValueJson(fill: FillValue, dtype: DType, zarrFormat: 2 | 3): unknown {
  if (fill === null) return zarrFormat === 2 ? null : dtype === "bool" ? false : 0;
  if (typeof fill === "number" && !Number.isFinite(fill))
    return Number.isNaN(fill) ? "NaN" : fill > 0 ? "Infinity" : "-Infinity";
  if (dtype === "bool") return Boolean(fill);
  return fill;
}

/** The value a missing chunk holds, as an element of `dtype`'s typed array (null reads as 0). */
export function fillElement(fill: FillValue, dtype: DType): number | bigint {
  if (isBigInt(dtype)) return fill === null ? 0n : BigInt(fill as number | bigint);
  if (fill === null) return 0;
  return Number(fill);
}

/** Checks that a fill value given by a caller suits `dtype` (an integer for integer dtypes...). */
export function fillValueFits(fill: FillValue, dtype: DType): boolean {
  if (fill === null) return true;
  if (dtype === "bool") return typeof fill === "boolean" || fill === 0 || fill === 1;
  if (isInteger(dtype))
    return typeof fill === "bigint" || (typeof fill === "number" && Number.isInteger(fill));
  return typeof fill === "number";
}

/** Whether every element of `data` equals `fill` (NaN matches NaN). */
export function isAllFill(data: TypedArray, fill: number | bigint): boolean {
  if (typeof fill === "number" && Number.isNaN(fill)) {
    const d = data as Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isNaN(d[i])) return false;
    return true;
  }
  const d = data as unknown as ArrayLike<number | bigint>;
  for (let i = 0; i < d.length; i++) if (d[i] !== fill) return false;
  return true;
}
