import { addDecoder, BaseDecoder } from "geotiff";
import { inflateBounded, tooLarge } from "../../util/bounded-decode.js";
import type { BytesToBytesCodec } from "../zarr/codecs/codec.js";
import { zstdCodec } from "../zarr/codecs/zstd.js";

/**
 * geotiff.js's decoders for deflate, LZW, PackBits and zstd, replaced by ones that never
 * produce more than a tile (or strip) holds: geotiff.js inflates, un-LZWs and un-PackBits into
 * growing JS arrays with no bound (a 1 MB tile of zeros expands to gigabytes, and the excess
 * is silently cut off), so each decoder here writes into at most the block's size and refuses
 * a stream that goes past it. Registered once, when this module loads; geotiff.js looks
 * decoders up by compression code at each read.
 */

/** What geotiff.js gives a decoder about its block (its `BaseDecoderParameters`). */
interface BlockParameters {
  tileWidth: number;
  tileHeight: number;
  bitsPerSample: number | ArrayLike<number>;
  planarConfiguration: number;
}

/** The most bytes one decoded block (tile or strip) of these parameters can hold. */
export function blockBytes(p: BlockParameters): number {
  const bits =
    typeof p.bitsPerSample === "number" ? [p.bitsPerSample] : Array.from(p.bitsPerSample);
  const perPixel =
    p.planarConfiguration === 2 ? Math.max(...bits) : bits.reduce((a, b) => a + b, 0);
  return Math.ceil((p.tileWidth * perPixel) / 8) * p.tileHeight;
}

type Decode = (block: Uint8Array, limit: number) => Uint8Array | Promise<Uint8Array>;

/** A geotiff.js decoder class whose blocks go through `decode` with their size as the limit. */
function boundedDecoder(decode: Decode) {
  return class extends BaseDecoder {
    override async decodeBlock(buffer: ArrayBuffer): Promise<ArrayBuffer> {
      const limit = blockBytes((this as unknown as { parameters: BlockParameters }).parameters);
      const out = await decode(new Uint8Array(buffer), limit);
      // geotiff.js views the whole ArrayBuffer: give it exactly the decoded bytes
      return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength
        ? (out.buffer as ArrayBuffer)
        : (out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer);
    }
  };
}

/**
 * TIFF LZW (Compression 5): codes MSB first from 9 to 12 bits, widened one code early, 256
 * clears and 257 ends (TIFF 6.0 §13, as libtiff and geotiff.js read it), into at most `limit`
 * bytes. A stream that ends without its end code ends there, as in geotiff.js.
 */
export function lzwDecode(input: Uint8Array, limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  const prefix = new Uint16Array(4096);
  const last = new Uint8Array(4096);
  const lengths = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) [last[i], lengths[i]] = [i, 1];
  let n = 0;
  let next = 258;
  let width = 9;
  let old = -1;
  let bit = 0;
  const bits = input.length * 8;
  // writes the string of `code` at n; returns its first byte
  const emit = (code: number): number => {
    const length = lengths[code];
    if (n + length > limit) throw tooLarge("the LZW stream", limit);
    for (let i = n + length - 1, c = code; i >= n; i--, c = prefix[c]) out[i] = last[c];
    n += length;
    return out[n - length];
  };
  const add = (from: number, byte: number) => {
    if (next >= 4096) return;
    [prefix[next], last[next], lengths[next]] = [from, byte, lengths[from] + 1];
    next++;
  };
  while (bit + width <= bits) {
    let code = 0;
    for (let i = 0; i < width; i++, bit++)
      code = (code << 1) | ((input[bit >> 3] >> (7 - (bit & 7))) & 1);
    if (code === 257) break;
    if (code === 256) {
      [next, width, old] = [258, 9, -1];
      continue;
    }
    if (old < 0) {
      if (code > 255) throw new Error(`LZW code ${code} right after a clear`);
      emit(code);
    } else if (code < next) add(old, emit(code));
    else if (code === next) {
      // the entry being defined: the previous string and its own first byte
      const first = emit(old);
      if (n >= limit) throw tooLarge("the LZW stream", limit);
      out[n++] = first;
      add(old, first);
    } else throw new Error(`LZW code ${code} not in the dictionary of ${next}`);
    old = code;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, n);
}

/** PackBits (Compression 32773): runs and literals, into at most `limit` bytes. */
export function packbitsDecode(input: Uint8Array, limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  let n = 0;
  for (let i = 0; i < input.length;) {
    const header = (input[i++] << 24) >> 24;
    if (header === -128) continue; // a no-op
    const count = header < 0 ? 1 - header : header + 1;
    if (n + count > limit) throw tooLarge("the PackBits stream", limit);
    if (header < 0) out.fill(input[i++], n, n + count);
    else out.set(input.subarray(i, (i += count)), n);
    n += count;
  }
  return out.subarray(0, n);
}

/** zstd (Compression 50000): the Zarr codec's decoder, which checks the declared size and streams with the limit. */
async function zstdBlocks(): Promise<Decode> {
  const codec = (await zstdCodec({})) as BytesToBytesCodec;
  return (block, limit) => codec.decode(block, limit);
}

const deflate = boundedDecoder((block, limit) => inflateBounded(block, "zlib", limit));
addDecoder([8, 32946], async () => deflate as never, undefined, false);
addDecoder(5, async () => boundedDecoder(lzwDecode) as never, undefined, false);
addDecoder(32773, async () => boundedDecoder(packbitsDecode) as never, undefined, false);
addDecoder(50000, async () => boundedDecoder(await zstdBlocks()) as never, undefined, false);
