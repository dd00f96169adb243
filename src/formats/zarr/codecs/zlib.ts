import { deflateSync, gzipSync } from "node:zlib";
import { inflateBounded } from "../../../util/bounded-decode.js";
import type { Json } from "../json.js";
import type { Codec } from "./codec.js";
import { aligned } from "./zstd.js";

/**
 * gzip and zlib with Node's own zlib (native, several times faster than a JS inflate);
 * the frames are the same as numcodecs' GZip and Zlib write. Inflated into at most the limit.
 */
export function zlibCodec(format: "gzip" | "zlib") {
  return (config: Json): Codec => {
    const level = typeof config.level === "number" ? config.level : 5;
    const encode = format === "gzip" ? gzipSync : deflateSync;
    return {
      kind: "bytes_to_bytes",
      encode: (b: Uint8Array) => new Uint8Array(encode(b, { level })),
      decode: (b: Uint8Array, limit: number) => aligned(inflateBounded(b, format, limit)),
    };
  };
}
