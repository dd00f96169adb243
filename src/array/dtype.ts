/**
 * Data types, with the typed array that holds each in memory. `float16` is held as
 * `Float32Array` (Node 20 has no Float16Array); `bool` as `Uint8Array` of 0/1.
 */
export type DType =
  | "bool"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float16"
  | "float32"
  | "float64";

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** Typed arrays that hold plain numbers (every dtype but int64/uint64). */
export type NumberArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

export type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const constructors: Record<DType, TypedArrayConstructor> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float16: Float32Array,
  float32: Float32Array,
  float64: Float64Array,
};

export const DTYPES = Object.keys(constructors) as DType[];

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(constructors, s);
}

/** The typed-array class that holds values of `dtype` in memory. */
export function arrayClass(dtype: DType): TypedArrayConstructor {
  return constructors[dtype];
}

/** A zero-filled typed array of `length` elements of `dtype`. */
export function allocate(dtype: DType, length: number): TypedArray {
  return new constructors[dtype](length);
}

/** Bytes per element in memory (float16 takes 4 in memory, 2 on disk). */
export function itemSize(dtype: DType): number {
  return constructors[dtype].BYTES_PER_ELEMENT;
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float16" || dtype === "float32" || dtype === "float64";
}

export function isBigInt(dtype: DType): boolean {
  return dtype === "int64" || dtype === "uint64";
}

export function isInteger(dtype: DType): boolean {
  return !isFloat(dtype) && dtype !== "bool";
}

export function isSigned(dtype: DType): boolean {
  return dtype.startsWith("int") || isFloat(dtype);
}

/** Bits of an integer dtype (bool counts as 1). */
function intBits(dtype: DType): number {
  return dtype === "bool" ? 1 : Number(dtype.replace(/\D/g, ""));
}

/**
 * The dtype numpy gives a binary operation between `a` and `b` (numpy's promotion table,
 * for arrays of the same kind of rank).
 */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool") return b;
  if (b === "bool") return a;
  const fa = isFloat(a);
  const fb = isFloat(b);
  if (fa && fb) return intBits(a) >= intBits(b) ? a : b;
  if (fa || fb) {
    const f = fa ? a : b;
    const i = fa ? b : a;
    const bits = intBits(i);
    // numpy: int8/uint8 fit float16, int16/uint16 need float32, wider ints need float64
    const need = bits <= 8 ? 16 : bits <= 16 ? 32 : 64;
    return intBits(f) >= need ? f : (`float${need}` as DType);
  }
  const sa = isSigned(a);
  const sb = isSigned(b);
  const ba = intBits(a);
  const bb = intBits(b);
  if (sa === sb) return ba >= bb ? a : b;
  const [s, u] = sa ? [ba, bb] : [bb, ba];
  if (s > u) return sa ? a : b;
  if (u >= 64) return "float64";
  return `int${u * 2}` as DType;
}

/** Float dtype that a computation on `dtype` produces (mean, sqrt, division...). */
export function floatOf(dtype: DType): DType {
  if (dtype === "float32" || dtype === "float64") return dtype;
  if (dtype === "float16") return "float32";
  return "float64";
}
