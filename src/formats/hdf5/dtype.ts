import type { DType } from "../../array/dtype.js";
import type { Metadata } from "h5wasm/node";

/**
 * The dtype that holds an HDF5 dataset's values, or undefined for types that are not plain
 * numbers (strings, compounds, references, variable-length). h5py's booleans (an enum of
 * FALSE/TRUE) are `bool`; other enums are their integer base type.
 */
export function dtypeOf(meta: Metadata): DType | undefined {
  if (meta.vlen) return undefined;
  if (meta.type === 8) {
    const names = Object.keys(meta.enum_type?.members ?? {})
      .sort()
      .join(",");
    if (names === "FALSE,TRUE" && meta.size === 1) return "bool";
    return integerDtype(meta.size, meta.signed);
  }
  if (meta.type === 0) return integerDtype(meta.size, meta.signed);
  if (meta.type === 1)
    return ({ 2: "float16", 4: "float32", 8: "float64" } as const)[meta.size as 2 | 4 | 8];
  return undefined;
}

function integerDtype(size: number, signed: boolean): DType | undefined {
  const bits = { 1: 8, 2: 16, 4: 32, 8: 64 }[size];
  return bits ? ((signed ? `int${bits}` : `uint${bits}`) as DType) : undefined;
}
