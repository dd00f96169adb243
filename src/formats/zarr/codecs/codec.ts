import type { DType, TypedArray } from "../../../array/dtype.js";

/** A chunk in flight through the codec pipeline: data laid out by `stride` (zarrita's Chunk). */
export interface Chunk {
  data: TypedArray;
  shape: number[];
  stride: number[];
}

type MaybePromise<T> = T | Promise<T>;

/** Array → array codec (transpose, delta, fixedscaleoffset...). */
export interface ArrayToArrayCodec {
  kind: "array_to_array";
  encode(chunk: Chunk): MaybePromise<Chunk>;
  decode(chunk: Chunk): MaybePromise<Chunk>;
  /** The dtype this codec's output holds, when it changes it (fixedscaleoffset's `astype`). */
  encodedDType?: DType;
}

/** Array → bytes codec (bytes). */
export interface ArrayToBytesCodec {
  kind: "array_to_bytes";
  encode(chunk: Chunk): MaybePromise<Uint8Array>;
  decode(bytes: Uint8Array): MaybePromise<Chunk>;
}

/** Bytes → bytes codec (compressors, shuffle, crc32c). */
export interface BytesToBytesCodec {
  kind: "bytes_to_bytes";
  encode(bytes: Uint8Array): MaybePromise<Uint8Array>;
  /**
   * Decodes into at most `limit` bytes (what the codec below it takes for one chunk): more is
   * refused, with no more than that allocated (a compression bomb, a header that lies).
   */
  decode(bytes: Uint8Array, limit: number): MaybePromise<Uint8Array>;
  /** Encoded size for a given decoded size, when fixed (needed to find a shard index). */
  encodedSize?(decoded: number): number;
}

export type Codec = ArrayToArrayCodec | ArrayToBytesCodec | BytesToBytesCodec;

/** What a codec is built for: the dtype (as the pipeline holds it) and shape of its input. */
export interface CodecContext {
  dtype: DType;
  shape: number[];
}
