import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";

/**
 * Decompression that never produces more than the caller expects. A chunk's decoded size is
 * known before decoding (its shape times its dtype), so a stream that would expand past it
 * (a compression bomb, a corrupt stream, a header that lies) is refused as soon as it does,
 * with at most the expected size allocated, instead of after gigabytes were produced.
 */

/** Thrown when a stream decodes, or says it decodes, to more than it may. */
export class DecodeLimitError extends Error {}

/** The message for a stream that `claims` (or reaches) more bytes than `limit`. */
export function tooLarge(what: string, limit: number, claims?: number): DecodeLimitError {
  return new DecodeLimitError(
    claims === undefined
      ? `${what} decodes to more than the ${limit} bytes expected (a compression bomb or corrupt data); refused`
      : `${what} claims ${claims} decoded bytes, more than the ${limit} expected (a lying header or corrupt data); refused`,
  );
}

/**
 * A bound on what any compressor we read makes of `n` bytes, so on the stored size of a chunk
 * of `n` decoded bytes: zstd adds n/256 + 64 at most, deflate 5 bytes per 16 KB block and a
 * header, LZ4 n/255 + 16, blosc 16 and 4 per block.
 */
export function compressBound(n: number): number {
  return n + Math.ceil(n / 8) + 65536;
}

const INFLATE = { gzip: gunzipSync, zlib: inflateSync, raw: inflateRawSync };

/**
 * Inflates a gzip, zlib or raw deflate stream into at most `limit` bytes: Node's zlib stops
 * with an error as soon as its output passes `maxOutputLength`, holding no more than that
 * and one piece.
 *
 * @example
 * ```ts
 * const bytes = inflateBounded(stored, "zlib", 4 * 256 * 256); // a 256 x 256 float32 tile at most
 * ```
 */
export function inflateBounded(
  bytes: Uint8Array,
  format: keyof typeof INFLATE,
  limit: number,
): Buffer {
  const chunkSize = Math.max(64, Math.min(limit + 64, 1 << 20));
  try {
    // chunkSize: one output piece for a chunk up to 1 MB (no growing and joining)
    return INFLATE[format](bytes, { chunkSize, maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
      throw tooLarge(`the ${format} stream`, limit);
    throw e;
  }
}

const ZSTD_MAGIC = 0xfd2fb528;

/**
 * The decoded size a zstd frame's header declares: a number, `null` when the frame does not
 * say (streamed frames, skippable frames), `undefined` when `bytes` is not a zstd frame.
 * Follows RFC 8878 §3.1.1.1 (the frame header).
 */
export function zstdFrameContentSize(bytes: Uint8Array): number | null | undefined {
  if (bytes.length < 5) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = view.getUint32(0, true);
  if ((magic & 0xfffffff0) === 0x184d2a50) return null; // skippable frame
  if (magic !== ZSTD_MAGIC) return undefined;
  const descriptor = bytes[4];
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][descriptor & 3];
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return null;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (bytes.length < at + fcsBytes) return undefined;
  switch (fcsBytes) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, true) + 256;
    case 4:
      return view.getUint32(at, true);
    default:
      return Number(view.getBigUint64(at, true));
  }
}
