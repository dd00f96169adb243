import { registry as zarritaCodecs } from "zarrita";
import { arrayClass } from "../../../array/dtype.js";
import type { Json } from "../json.js";
import { tooLarge } from "../../../util/bounded-decode.js";
import { bloscCodec } from "./blosc.js";
import type { ArrayToBytesCodec, Codec, CodecContext } from "./codec.js";
import { crc32cCodec } from "./crc32c.js";
import { fixedScaleOffsetCodec } from "./fixed-scale-offset.js";
import { zlibCodec } from "./zlib.js";
import { zstdCodec } from "./zstd.js";

type Factory = (config: Json, ctx: CodecContext) => Codec | Promise<Codec>;

/** A codec from zarrita's registry, built for the pipeline's current dtype and shape. */
function zarrita(name: string, withMeta = true): Factory {
  return async (config, ctx) => {
    const entry = await zarritaCodecs.get(name)!();
    const meta = { dataType: ctx.dtype, shape: ctx.shape, codecs: [], fillValue: null };
    // zarrita's codecs take its own metadata type; our dtype names are the same strings
    const fromConfig = entry.fromConfig as (config: unknown, meta?: unknown) => unknown;
    return (withMeta ? fromConfig(config, meta) : fromConfig(config)) as Codec;
  };
}

/** Whether this machine stores numbers little-endian (as Zarr's "bytes" codec mostly wants). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * zarrita's "bytes" codec, except that an array needing no byte swap is encoded as a view of
 * its own bytes: zarrita views `data.buffer` whole, so an array on part of a buffer (a pooled
 * block's, a scratch buffer's) would need a copy first — one per chunk written.
 */
const bytesCodec: Factory = async (config, ctx) => {
  const codec = (await zarrita("bytes")(config, ctx)) as ArrayToBytesCodec;
  const swaps =
    arrayClass(ctx.dtype).BYTES_PER_ELEMENT > 1 && (config.endian === "big") === LITTLE_ENDIAN;
  return {
    kind: "array_to_bytes",
    encode(chunk) {
      const { data } = chunk;
      if (!swaps) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      return codec.encode(whole ? chunk : { ...chunk, data: data.slice() });
    },
    decode: (bytes) => codec.decode(bytes),
  };
};

/**
 * A numcodecs compressor (wasm). `declared` reads the decoded size a frame states, checked
 * against the limit before the wasm codec allocates it.
 */
function numcodecs(
  load: () => Promise<{
    default: {
      fromConfig(c: Json & { id: string }): {
        encode(b: Uint8Array): Uint8Array | Promise<Uint8Array>;
        decode(b: Uint8Array): Uint8Array | Promise<Uint8Array>;
      };
    };
  }>,
  name: string,
  declared: (b: Uint8Array) => number,
): Factory {
  return async (config) => {
    const codec = (await load()).default.fromConfig({ id: "", ...config });
    return {
      kind: "bytes_to_bytes",
      encode: (b: Uint8Array) => codec.encode(b),
      decode(b: Uint8Array, limit: number) {
        const size = declared(b);
        if (size > limit) throw tooLarge(`the ${name} frame`, limit, size);
        return codec.decode(b);
      },
    };
  };
}

const gzip = zlibCodec("gzip");
const zlib = zlibCodec("zlib");
const zstd = zstdCodec;
// numcodecs' LZ4 frame: the decoded size (4 bytes, little-endian), then one LZ4 block
const lz4 = numcodecs(
  () => import("numcodecs/lz4"),
  "lz4",
  (b) => (b.length < 4 ? 0 : new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true)),
);

const delta: Factory = (config, ctx) => {
  // zarrita's delta works in the array's own dtype; numcodecs' `astype` would change it
  const astype = config.astype;
  if (astype !== undefined && astype !== config.dtype)
    throw new Error(`delta with astype ${JSON.stringify(astype)} is not supported`);
  return zarrita("numcodecs.delta")(config, ctx);
};

// numcodecs' shuffle takes its element size from `elementsize`, not from the dtype
const shuffle: Factory = (config, ctx) =>
  zarrita("numcodecs.shuffle", false)(
    { elementsize: arrayClass(ctx.dtype).BYTES_PER_ELEMENT, ...config },
    ctx,
  );

/** Codecs by the name they have in v3 metadata (v2 filters and compressors as `numcodecs.<id>`). */
const FACTORIES: Record<string, Factory> = {
  bytes: bytesCodec,
  transpose: zarrita("transpose"),
  crc32c: () => crc32cCodec(),
  blosc: bloscCodec,
  gzip,
  zlib,
  zstd,
  lz4,
  bitround: zarrita("bitround"),
  "numcodecs.blosc": bloscCodec,
  "numcodecs.gzip": gzip,
  "numcodecs.zlib": zlib,
  "numcodecs.zstd": zstd,
  "numcodecs.lz4": lz4,
  "numcodecs.delta": delta,
  "numcodecs.shuffle": shuffle,
  "numcodecs.bitround": zarrita("bitround"),
  "numcodecs.fixedscaleoffset": fixedScaleOffsetCodec,
};

/** Whether we know the codec `name`. */
export function isKnownCodec(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(FACTORIES, name);
}

/** Builds codec `name` for an input of `ctx` (the caller checks `isKnownCodec` first). */
export function buildCodec(name: string, config: Json, ctx: CodecContext): Codec | Promise<Codec> {
  return FACTORIES[name](config, ctx);
}
