import type { FillValue } from "./chunked-array.js";
import { isBigInt, isInteger, type DType } from "./dtype.js";

/**
 * A `_FillValue` attribute as the fill value of an array of `dtype`, or null when the dtype
 * cannot hold it (a NaN `_FillValue` on an int16 variable is a real-world quirk: no fill value).
 */
export function fillValueFromAttr(value: unknown, dtype: DType): FillValue {
  if (typeof value !== "number" || dtype === "bool") return null;
  if (isInteger(dtype) && !Number.isInteger(value)) return null;
  return isBigInt(dtype) ? BigInt(value) : value;
}
