import type { BytesToBytesCodec } from "./codec.js";

// zarrita's crc32c codec only strips the checksum and cannot encode; sharded writes need it.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The v3 `crc32c` codec: appends a little-endian CRC-32C on encode, checks and strips it on decode. */
export function crc32cCodec(): BytesToBytesCodec {
  return {
    kind: "bytes_to_bytes",
    encode(bytes) {
      const out = new Uint8Array(bytes.length + 4);
      out.set(bytes);
      new DataView(out.buffer).setUint32(bytes.length, crc32c(bytes), true);
      return out;
    },
    decode(bytes) {
      if (bytes.length < 4) throw new Error(`${bytes.length} bytes cannot hold a crc32c checksum`);
      const body = bytes.subarray(0, bytes.length - 4);
      const stored = new DataView(bytes.buffer, bytes.byteOffset + body.length, 4).getUint32(
        0,
        true,
      );
      if (stored !== crc32c(body)) throw new Error("crc32c checksum mismatch (corrupt data)");
      return body;
    },
    encodedSize: (n) => n + 4,
  };
}
