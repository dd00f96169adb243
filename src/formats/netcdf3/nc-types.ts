import type { DType } from "../../array/dtype.js";

/** A NetCDF-3 external type: its code in the header, name, in-memory dtype and size on disk. */
export interface NcType {
  readonly code: number;
  readonly name: string;
  /** `char` is exposed as `uint8` (one byte per character, as stored). */
  readonly dtype: DType;
  readonly size: number;
  /** Only CDF-5 (64-bit data) files may use it. */
  readonly cdf5Only: boolean;
}

const TYPES: readonly NcType[] = [
  { code: 1, name: "byte", dtype: "int8", size: 1, cdf5Only: false },
  { code: 2, name: "char", dtype: "uint8", size: 1, cdf5Only: false },
  { code: 3, name: "short", dtype: "int16", size: 2, cdf5Only: false },
  { code: 4, name: "int", dtype: "int32", size: 4, cdf5Only: false },
  { code: 5, name: "float", dtype: "float32", size: 4, cdf5Only: false },
  { code: 6, name: "double", dtype: "float64", size: 8, cdf5Only: false },
  { code: 7, name: "ubyte", dtype: "uint8", size: 1, cdf5Only: true },
  { code: 8, name: "ushort", dtype: "uint16", size: 2, cdf5Only: true },
  { code: 9, name: "uint", dtype: "uint32", size: 4, cdf5Only: true },
  { code: 10, name: "int64", dtype: "int64", size: 8, cdf5Only: true },
  { code: 11, name: "uint64", dtype: "uint64", size: 8, cdf5Only: true },
];

/** The type with header code `code`, or undefined. */
export function ncType(code: number): NcType | undefined {
  return TYPES.find((t) => t.code === code);
}

/** Reads one big-endian value of `type` at `offset` of `view` (64-bit integers as bigint). */
export function readValue(view: DataView, offset: number, type: NcType): number | bigint {
  switch (type.code) {
    case 1:
      return view.getInt8(offset);
    case 2:
    case 7:
      return view.getUint8(offset);
    case 3:
      return view.getInt16(offset);
    case 4:
      return view.getInt32(offset);
    case 5:
      return view.getFloat32(offset);
    case 6:
      return view.getFloat64(offset);
    case 8:
      return view.getUint16(offset);
    case 9:
      return view.getUint32(offset);
    case 10:
      return view.getBigInt64(offset);
    default:
      return view.getBigUint64(offset);
  }
}
