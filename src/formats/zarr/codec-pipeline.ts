import { stridesOf } from "../../array/copy-box.js";
import { sizeOf } from "../../array/chunked-array.js";
import { arrayClass, type DType, type TypedArray } from "../../array/dtype.js";
import { compressBound } from "../../util/bounded-decode.js";
import { FormatError } from "../../util/errors.js";
import { storageDType } from "./dtypes.js";
import { float32ToHalfBits, halfBitsToFloat32 } from "./float16.js";
import type {
  ArrayToArrayCodec,
  ArrayToBytesCodec,
  BytesToBytesCodec,
  Chunk,
} from "./codecs/codec.js";
import { buildCodec, isKnownCodec } from "./codecs/registry.js";
import type { CodecSpec } from "./metadata.js";

/** Encodes and decodes whole chunks of one shape, C order, in the dtype's in-memory typed array. */
export interface ChunkCodec {
  encode(data: TypedArray): Promise<Uint8Array>;
  /** Throws a plain Error saying what is wrong; the caller names the chunk. */
  decode(bytes: Uint8Array): Promise<TypedArray>;
  /** Encoded size for a decoded size, when every bytes codec has a fixed one (a shard index). */
  readonly encodedSize?: (decoded: number) => number;
  /** The most bytes one encoded chunk can take (compressors add a little on incompressible data). */
  readonly maxEncodedBytes: number;
}

/**
 * Builds the codec pipeline of a v3 codec list (v2 metadata is translated to one) for chunks
 * of `shape` and `dtype`. Codecs run as v3 orders them: array→array, array→bytes,
 * bytes→bytes; a list without an array→bytes codec gets little-endian `bytes`.
 *
 * @example
 * ```ts
 * const codec = await createChunkCodec([{ name: "bytes" }, { name: "gzip" }], "float32", [2, 2], "t.zarr/a");
 * const back = await codec.decode(await codec.encode(new Float32Array([1, 2, 3, 4])));
 * ```
 */
export async function createChunkCodec(
  specs: CodecSpec[],
  dtype: DType,
  shape: number[],
  where: string,
): Promise<ChunkCodec> {
  const arrays: ArrayToArrayCodec[] = [];
  let toBytes: ArrayToBytesCodec | undefined;
  const bytes: BytesToBytesCodec[] = [];
  const ctx = { dtype: storageDType(dtype), shape };
  for (const spec of specs) {
    if (!isKnownCodec(spec.name)) throw new FormatError(`${where}: unknown codec "${spec.name}"`);
    let codec;
    try {
      codec = await buildCodec(spec.name, spec.configuration ?? {}, { ...ctx });
    } catch (e) {
      throw new FormatError(`${where}: codec "${spec.name}": ${firstLine(e)}`);
    }
    if (codec.kind === "array_to_array") {
      arrays.push(codec);
      if (codec.encodedDType) ctx.dtype = codec.encodedDType;
    } else if (codec.kind === "array_to_bytes") {
      if (toBytes) throw new FormatError(`${where}: more than one array-to-bytes codec`);
      toBytes = codec;
    } else bytes.push(codec);
  }
  toBytes ??= (await buildCodec("bytes", { endian: "little" }, ctx)) as ArrayToBytesCodec;
  const storedBytes = sizeOf(shape) * arrayClass(ctx.dtype).BYTES_PER_ELEMENT;
  const cStrides = stridesOf(shape);
  const fixedSizes = bytes.map((c) => c.encodedSize);
  // what each bytes codec may decode to: the chunk's bytes for the innermost, for each one
  // outside it the most the inner one can encode them to
  const limits = [storedBytes];
  for (let i = 1; i <= bytes.length; i++)
    limits.push((fixedSizes[i - 1] ?? compressBound)(limits[i - 1]));

  return {
    async encode(data) {
      let chunk: Chunk = { data: toStorage(data, dtype), shape, stride: cStrides };
      for (const c of arrays) chunk = await c.encode(chunk);
      let out = await toBytes.encode(chunk);
      for (const c of bytes) out = await c.encode(out);
      return out;
    },
    async decode(input) {
      let raw = input;
      for (let i = bytes.length - 1; i >= 0; i--) raw = await bytes[i].decode(raw, limits[i]);
      if (raw.length !== storedBytes)
        throw new Error(
          `decodes to ${raw.length} bytes, expected ${storedBytes} for shape [${shape}]`,
        );
      let chunk = await toBytes.decode(raw);
      for (let i = arrays.length - 1; i >= 0; i--) chunk = await arrays[i].decode(chunk);
      return fromStorage(toCOrder(chunk), dtype);
    },
    encodedSize: fixedSizes.every((f) => f)
      ? (n) => fixedSizes.reduce((size, f) => f!(size), n)
      : undefined,
    maxEncodedBytes: limits[bytes.length],
  };
}

function toStorage(data: TypedArray, dtype: DType): TypedArray {
  return dtype === "float16" ? float32ToHalfBits(data as Float32Array) : data;
}

function fromStorage(data: TypedArray, dtype: DType): TypedArray {
  return dtype === "float16" ? halfBitsToFloat32(data as Uint16Array) : data;
}

/** The chunk's values in C order (a transpose codec leaves them in its own order). */
function toCOrder({ data, shape, stride }: Chunk): TypedArray {
  const c = stridesOf(shape);
  const n = sizeOf(shape);
  if (stride.every((s, d) => s === c[d] || shape[d] <= 1))
    return data.length === n ? data : data.subarray(0, n);
  const out = new (data.constructor as new (n: number) => TypedArray)(n) as Float64Array;
  const src = data as Float64Array;
  const idx = new Array<number>(shape.length).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = src[off];
    for (let d = shape.length - 1; d >= 0; d--) {
      off += stride[d];
      if (++idx[d] < shape[d]) break;
      off -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** The first line of an error's message, for one-line user errors. */
export function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}
