import type { Json } from "../json.js";
import type { Codec } from "./codec.js";
import { codecsInPool, poolZstd } from "../../../util/codec-threads.js";
import { releaseScratch, takeScratch } from "../../../util/scratch-buffers.js";

/** The parts of zstd-napi's low-level binding used here (see its binding.d.ts). */
type ZstdBinding = {
  CCtx: new () => {
    setParameter(p: number, v: number): void;
    compress2(dst: Uint8Array, src: Uint8Array): number;
  };
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  CParameter: { compressionLevel: number; checksumFlag: number };
  compressBound(n: number): number;
  getFrameContentSize(frame: Uint8Array): number | null;
};

/**
 * The native zstd binding (optional dependency `zstd-napi`, built with node-gyp), or
 * undefined where it did not install. Native decoding is about twice as fast as the wasm
 * codec (measured on 5 MB float32 chunks), and decoding is most of a reduction's time.
 */
const native: Promise<
  { binding: ZstdBinding; decompress: (b: Uint8Array) => Uint8Array } | undefined
> = Promise.all([import("zstd-napi/binding.js" as string), import("zstd-napi" as string)]).then(
  ([b, m]) => ({
    binding: (b.default ?? b) as ZstdBinding,
    decompress: (m.default ?? m).decompress as (b: Uint8Array) => Uint8Array,
  }),
  () => undefined,
);

/**
 * zstd: the native binding when installed, else numcodecs' wasm codec (same frames). The
 * native one encodes and decodes into scratch buffers (`util/scratch-buffers`), which the
 * chunk's reader or writer gives back.
 */
export async function zstdCodec(config: Json): Promise<Codec> {
  const level = typeof config.level === "number" ? config.level : 3;
  const checksum = config.checksum === true;
  const loaded = await native;
  if (loaded) {
    const z = loaded.binding;
    const cctx = new z.CCtx();
    cctx.setParameter(z.CParameter.compressionLevel, level);
    cctx.setParameter(z.CParameter.checksumFlag, checksum ? 1 : 0);
    const dctx = new z.DCtx();
    // several frames, or a damaged one: zstd-napi's own path tells which
    const fallback = (unused: Uint8Array, b: Uint8Array) => {
      releaseScratch(unused);
      return aligned(loaded.decompress(b));
    };
    return {
      kind: "bytes_to_bytes",
      encode(b: Uint8Array) {
        const out = takeScratch(z.compressBound(b.length));
        // in the pool without checksums (the addon's simple call writes none)
        const pool = !checksum && codecsInPool() ? poolZstd() : undefined;
        if (pool) return pool.compress(out, b, level).then((n) => out.subarray(0, n));
        return out.subarray(0, cctx.compress2(out, b));
      },
      decode(b: Uint8Array) {
        const size = z.getFrameContentSize(b);
        if (size === null) return aligned(loaded.decompress(b)); // frames written without their size
        const out = takeScratch(size);
        const pool = codecsInPool() ? poolZstd() : undefined;
        if (pool)
          return pool.decompress(out, b).then(
            (n) => (n === size ? out : fallback(out, b)),
            () => fallback(out, b),
          );
        try {
          if (dctx.decompress(out, b) === size) return out;
        } catch {
          // see fallback
        }
        return fallback(out, b);
      },
    };
  }
  const { default: Zstd } = await import("numcodecs/zstd");
  const codec = Zstd.fromConfig({ id: "zstd", level, checksum } as never);
  return {
    kind: "bytes_to_bytes",
    encode: (b: Uint8Array) => codec.encode(b as never) as Uint8Array | Promise<Uint8Array>,
    decode: (b: Uint8Array) => codec.decode(b as never) as Uint8Array | Promise<Uint8Array>,
  };
}

/** Small Buffers come from Node's pool at any offset; typed-array views need 8-byte alignment. */
export function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : new Uint8Array(b);
}
