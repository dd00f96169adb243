import type { Json } from "../json.js";
import type { Codec } from "./codec.js";
import { codecsInPool, poolZstd } from "../../../util/codec-threads.js";
import { DecodeLimitError, tooLarge, zstdFrameContentSize } from "../../../util/bounded-decode.js";
import { releaseScratch, takeScratch } from "../../../util/scratch-buffers.js";

/** The parts of zstd-napi's low-level binding used here (see its binding.d.ts). */
type ZstdBinding = {
  CCtx: new () => {
    setParameter(p: number, v: number): void;
    compress2(dst: Uint8Array, src: Uint8Array): number;
  };
  DCtx: new () => ZstdDCtx;
  CParameter: { compressionLevel: number; checksumFlag: number };
  ResetDirective: { sessionOnly: number };
  compressBound(n: number): number;
};

type ZstdDCtx = {
  decompress(dst: Uint8Array, src: Uint8Array): number;
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  reset(directive: number): void;
};

/**
 * The native zstd binding (optional dependency `zstd-napi`, built with node-gyp), or
 * undefined where it did not install. Native decoding is about twice as fast as the wasm
 * codec (measured on 5 MB float32 chunks), and decoding is most of a reduction's time.
 */
const native: Promise<ZstdBinding | undefined> = import("zstd-napi/binding.js" as string).then(
  (b) => (b.default ?? b) as ZstdBinding,
  () => undefined,
);

/**
 * zstd: the native binding when installed, else numcodecs' wasm codec (same frames). The
 * native one encodes and decodes into scratch buffers (`util/scratch-buffers`), which the
 * chunk's reader or writer gives back. Decoding never yields more than `limit` bytes: a frame
 * that declares more is refused before anything is allocated, and one that does not say is
 * decoded as a stream into a buffer of the limit.
 */
export async function zstdCodec(config: Json): Promise<Codec> {
  const level = typeof config.level === "number" ? config.level : 3;
  const checksum = config.checksum === true;
  const z = await native;
  if (z) {
    const cctx = new z.CCtx();
    cctx.setParameter(z.CParameter.compressionLevel, level);
    cctx.setParameter(z.CParameter.checksumFlag, checksum ? 1 : 0);
    const decode = zstdDecoder(z);
    return {
      kind: "bytes_to_bytes",
      encode(b: Uint8Array) {
        const out = takeScratch(z.compressBound(b.length));
        // in the pool without checksums (the addon's simple call writes none)
        const pool = !checksum && codecsInPool() ? poolZstd() : undefined;
        if (pool) return pool.compress(out, b, level).then((n) => out.subarray(0, n));
        return out.subarray(0, cctx.compress2(out, b));
      },
      decode,
    };
  }
  const { default: Zstd } = await import("numcodecs/zstd");
  const codec = Zstd.fromConfig({ id: "zstd", level, checksum } as never);
  return {
    kind: "bytes_to_bytes",
    encode: (b: Uint8Array) => codec.encode(b as never) as Uint8Array | Promise<Uint8Array>,
    decode(b: Uint8Array, limit: number) {
      // the wasm codec allocates what the frame declares: checked first
      checkDeclared(b, limit);
      return codec.decode(b as never) as Uint8Array | Promise<Uint8Array>;
    },
  };
}

function zstdDecoder(z: ZstdBinding) {
  const dctx = new z.DCtx();
  const stream = new z.DCtx();
  // several frames, a frame without its size or a damaged one: decoded as a stream
  const fallback = (unused: Uint8Array, b: Uint8Array, limit: number) => {
    releaseScratch(unused);
    return streamBounded(z, stream, b, limit);
  };
  return (b: Uint8Array, limit: number): Uint8Array | Promise<Uint8Array> => {
    const size = checkDeclared(b, limit);
    if (size === undefined) return streamBounded(z, stream, b, limit);
    const out = takeScratch(size);
    const pool = codecsInPool() ? poolZstd() : undefined;
    if (pool)
      return pool.decompress(out, b).then(
        (n) => (n === size ? out : fallback(out, b, limit)),
        () => fallback(out, b, limit),
      );
    try {
      if (dctx.decompress(out, b) === size) return out;
    } catch {
      // see fallback
    }
    return fallback(out, b, limit);
  };
}

/** The size the (first) frame of `b` declares, refused past `limit`; undefined when it does not say. */
function checkDeclared(b: Uint8Array, limit: number): number | undefined {
  const size = zstdFrameContentSize(b);
  if (size === null || size === undefined) return undefined;
  if (size > limit) throw tooLarge("the zstd frame", limit, size);
  return size;
}

/** Decodes every frame of `src` as a stream into one buffer of `limit` bytes (and one to tell overflow). */
function streamBounded(z: ZstdBinding, dctx: ZstdDCtx, src: Uint8Array, limit: number): Uint8Array {
  dctx.reset(z.ResetDirective.sessionOnly);
  const out = takeScratch(limit + 1);
  let produced = 0;
  let consumed = 0;
  let pending = 1;
  try {
    while (consumed < src.length || pending !== 0) {
      const [left, wrote, read] = dctx.decompressStream(
        out.subarray(produced),
        src.subarray(consumed),
      );
      produced += wrote;
      consumed += read;
      pending = left;
      if (produced > limit) throw tooLarge("the zstd stream", limit);
      if (wrote === 0 && read === 0) break;
    }
  } catch (e) {
    releaseScratch(out);
    if (e instanceof DecodeLimitError) throw e;
    throw new Error(`the zstd data is damaged (${(e as Error).message})`, { cause: e });
  }
  if (pending !== 0) {
    releaseScratch(out);
    throw new Error("the zstd stream ends inside a frame (truncated?)");
  }
  return out.subarray(0, produced);
}

/** Small Buffers come from Node's pool at any offset; typed-array views need 8-byte alignment. */
export function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : new Uint8Array(b);
}
