import type { BlockScope, ViewClass } from "../../array/block-pool.js";
import {
  arrayClass,
  isBigInt,
  type DType,
  type NumberArray,
  type TypedArray,
} from "../../array/dtype.js";

/**
 * Inside the engine every block is a `NumberArray`: int64/uint64 are held as Float64Array
 * (exact to 2^53), so that kernels never mix BigInt and number. They turn back into
 * BigInt64Array only where they are written. With `blocks`, large arrays reuse the buffers
 * of finished tasks: zero-filled, or with `zeroed` false as they were (for arrays written whole).
 */
export function engineAllocate(
  dtype: DType,
  length: number,
  blocks?: BlockScope,
  zeroed = true,
): NumberArray {
  const Class = engineClass(dtype);
  return blocks ? blocks.take(Class, length, zeroed) : new Class(length);
}

/** The class of the engine's blocks of `dtype`. */
export function engineClass(dtype: DType): ViewClass<NumberArray> {
  return (
    dtype === "bool" ? BoolBlock : isBigInt(dtype) ? Float64Array : arrayClass(dtype)
  ) as ViewClass<NumberArray>;
}

/**
 * A block of dtype bool (0/1 bytes): its own class so that a kernel writing one can store
 * numpy's truth of a value (2 → 1, 0.5 → 1, NaN → 1) where a Uint8Array would wrap or truncate.
 */
export class BoolBlock extends Uint8Array {}

/** A block read from storage as the engine holds it (BigInt arrays become Float64Array). */
export function toEngineArray(data: TypedArray): NumberArray {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  return data;
}

/** An engine block converted to the typed array of `dtype` for writing. */
export function toStorageArray(data: NumberArray, dtype: DType): TypedArray {
  if (dtype === "int64" || dtype === "uint64") {
    const out =
      dtype === "int64" ? new BigInt64Array(data.length) : new BigUint64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      out[i] = BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
    }
    return out;
  }
  if (data instanceof arrayClass(dtype)) return data;
  const out = new (arrayClass(dtype))(data.length) as NumberArray;
  out.set(data);
  return out;
}
