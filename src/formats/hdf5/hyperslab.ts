import { sizeOf } from "../../array/chunked-array.js";
import { allocate, arrayClass, type DType, type TypedArray } from "../../array/dtype.js";
import { DaeError } from "../../util/errors.js";
import type { H5Module } from "./h5wasm-module.js";

/** Boxes above this many bytes are refused: the wasm heap stops at 2 GiB, shared by all open files. */
const MAX_READ_BYTES = 1 << 30;

/**
 * Reads the box `[start, stop)` of dataset `path` (of `dtype`, `size` bytes per value in the
 * file) by one hyperslab selection: HDF5 finds the chunks, decompresses them (deflate,
 * shuffle...) and converts to little-endian. Errors are HDF5's, thrown by its error handler.
 */
export function readHyperslab(
  module: H5Module,
  fileId: bigint,
  path: string,
  dtype: DType,
  size: number,
  start: readonly number[],
  stop: readonly number[],
  where: string,
): TypedArray {
  const count = stop.map((s, d) => s - start[d]);
  const n = sizeOf(count);
  if (n === 0) return allocate(dtype, 0);
  const nbytes = n * size;
  if (nbytes > MAX_READ_BYTES)
    throw new DaeError(
      `${where}: ${nbytes} bytes in one read is more than h5wasm's heap allows; read a smaller box`,
    );
  const ptr = module._malloc(nbytes);
  if (!ptr) throw new DaeError(`${where}: h5wasm's heap cannot hold ${nbytes} more bytes`);
  try {
    // a scalar has no axes to select: read it all
    const box = count.length === 0 ? null : count.map(BigInt);
    const offset = count.length === 0 ? null : start.map(BigInt);
    const strides = count.length === 0 ? null : count.map(() => 1n);
    module.get_dataset_data(fileId, path, box, offset, strides, BigInt(ptr));
    return decode(module.HEAPU8.slice(ptr, ptr + nbytes), dtype, n);
  } finally {
    module._free(ptr);
  }
}

/** The values of `bytes` (little-endian, as HDF5 wrote them to memory) as `dtype`. */
function decode(bytes: Uint8Array, dtype: DType, n: number): TypedArray {
  if (dtype === "float16") return halfToFloat(new Uint16Array(bytes.buffer, 0, n));
  return new (arrayClass(dtype))(bytes.buffer, 0, n);
}

/** IEEE half floats to Float32Array (float16 is held as float32 in memory). */
function halfToFloat(half: Uint16Array): Float32Array {
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) {
    const h = half[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] =
      exp === 0
        ? sign * frac * 2 ** -24
        : exp === 31
          ? frac
            ? NaN
            : sign * Infinity
          : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
