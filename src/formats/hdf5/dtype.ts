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

/** H5T_class_t names, for what cannot be read. */
const TYPE_CLASSES = [
  "integer",
  "float",
  "time",
  "string",
  "bitfield",
  "opaque",
  "compound",
  "reference",
  "enum",
  "variable-length",
  "array",
];

/**
 * What an HDF5 type that `dtypeOf` does not hold is, in words: "an HDF5 compound (complex
 * {r, i})", "an HDF5 bitfield (1 byte)", "an HDF5 string".
 */
export function describeType(meta: Metadata): string {
  const name =
    meta.vlen && meta.type === 3 ? "string" : (TYPE_CLASSES[meta.type] ?? `type ${meta.type}`);
  const members = (meta.compound_type?.members ?? []).map((m) => m.name);
  const detail =
    meta.type === 6
      ? members.join(",") === "r,i"
        ? " (complex {r, i})"
        : ` {${members.join(", ")}}`
      : meta.type === 4 || meta.type === 5
        ? ` (${meta.size} byte${meta.size === 1 ? "" : "s"})`
        : "";
  return `an HDF5 ${name}${detail}`;
}

function integerDtype(size: number, signed: boolean): DType | undefined {
  const bits = { 1: 8, 2: 16, 4: 32, 8: 64 }[size];
  return bits ? ((signed ? `int${bits}` : `uint${bits}`) as DType) : undefined;
}
