import type { BytesToBytesCodec } from "./codec.js";
import type { Json } from "../json.js";
import { tooLarge } from "../../../util/bounded-decode.js";

const SHUFFLE: Record<string, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

/**
 * numcodecs' Blosc with both config dialects (v3 names shuffle modes, v2 numbers them). The
 * header is checked before the wasm decoder sees it: a truncated or lying frame would
 * otherwise make it read past the input or allocate what the header claims.
 */
export async function bloscCodec(config: Json): Promise<BytesToBytesCodec> {
  const { default: Blosc } = await import("numcodecs/blosc");
  const shuffle = typeof config.shuffle === "string" ? SHUFFLE[config.shuffle] : config.shuffle;
  if (shuffle === undefined)
    throw new Error(`unknown blosc shuffle ${JSON.stringify(config.shuffle)}`);
  const codec = Blosc.fromConfig({
    id: "blosc",
    cname: (config.cname as string | undefined) ?? "lz4",
    clevel: (config.clevel as number | undefined) ?? 5,
    shuffle: shuffle as number,
    blocksize: (config.blocksize as number | undefined) ?? 0,
  });
  return {
    kind: "bytes_to_bytes",
    encode: (bytes) => codec.encode(bytes),
    decode(bytes, limit) {
      if (bytes.length < 16)
        throw new Error(`${bytes.length} bytes is too short for a blosc frame`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
      const decoded = view.getUint32(4, true);
      const compressed = view.getUint32(12, true);
      if (compressed !== bytes.length)
        throw new Error(
          `blosc frame says ${compressed} bytes, got ${bytes.length} (truncated or corrupt)`,
        );
      if (decoded > limit) throw tooLarge("the blosc frame", limit, decoded);
      return codec.decode(bytes);
    },
  };
}
