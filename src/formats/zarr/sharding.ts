import { sizeOf } from "../../array/chunked-array.js";
import { FormatError } from "../../util/errors.js";
import { createChunkCodec, type ChunkCodec } from "./codec-pipeline.js";
import type { ShardingSpec } from "./metadata.js";

/** 2^64-1 in both offset and length marks an inner chunk that is not stored (reads as fill). */
const MISSING = 0xffffffffffffffffn;

/** How one shard is laid out: inner chunks per dimension and the index's codec and size. */
export interface ShardLayout {
  /** Inner chunks along each dimension of a shard. */
  perShard: number[];
  /** Inner chunks in a shard. */
  count: number;
  /** Bytes the encoded index takes. */
  indexBytes: number;
  indexLocation: "start" | "end";
  indexCodec: ChunkCodec;
}

/** Builds the layout of the shards of `shardShape` described by `spec`. */
export async function shardLayout(
  spec: ShardingSpec,
  shardShape: number[],
  where: string,
): Promise<ShardLayout> {
  const perShard = shardShape.map((s, d) => s / spec.chunkShape[d]);
  const count = sizeOf(perShard);
  const indexCodec = await createChunkCodec(
    spec.indexCodecs,
    "uint64",
    [...perShard, 2],
    `${where} (shard index)`,
  );
  if (!indexCodec.encodedSize)
    throw new FormatError(`${where}: shard index codecs must have a fixed size (bytes, crc32c)`);
  return {
    perShard,
    count,
    indexBytes: indexCodec.encodedSize(count * 16),
    indexLocation: spec.indexLocation,
    indexCodec,
  };
}

/** Where the index sits in a shard of `shardLength` bytes: [offset, length]. */
export function indexRange(layout: ShardLayout, shardLength?: number): [number, number] {
  if (layout.indexLocation === "start") return [0, layout.indexBytes];
  return [
    shardLength === undefined ? -layout.indexBytes : shardLength - layout.indexBytes,
    layout.indexBytes,
  ];
}

/**
 * Decodes a shard index: for inner chunk `i`, `[offset, length]` or undefined when not stored.
 * An entry longer than any inner chunk can be encoded to (`maxChunkBytes`) is refused here,
 * before anything of that length is read or allocated.
 */
export async function decodeShardIndex(
  layout: ShardLayout,
  bytes: Uint8Array,
  maxChunkBytes: number,
): Promise<(i: number) => [number, number] | undefined> {
  if (bytes.length !== layout.indexBytes)
    throw new Error(
      `shard index is ${bytes.length} bytes, expected ${layout.indexBytes} (truncated shard?)`,
    );
  const index = (await layout.indexCodec.decode(bytes)) as BigUint64Array;
  for (let i = 0; i < layout.count; i++) {
    const length = index[2 * i + 1];
    if (length !== MISSING && length > BigInt(maxChunkBytes))
      throw new Error(
        `shard index says inner chunk ${i} takes ${length} bytes, more than the ${maxChunkBytes} an inner chunk can be encoded to (corrupt or hostile shard); refused`,
      );
  }
  return (i) => {
    const offset = index[2 * i];
    const length = index[2 * i + 1];
    if (offset === MISSING && length === MISSING) return undefined;
    return [Number(offset), Number(length)];
  };
}

/** Assembles a shard from encoded inner chunks (undefined = not stored), index where the layout says. */
export async function encodeShard(
  layout: ShardLayout,
  chunks: (Uint8Array | undefined)[],
): Promise<Uint8Array> {
  const index = new BigUint64Array(layout.count * 2).fill(MISSING);
  let offset = layout.indexLocation === "start" ? layout.indexBytes : 0;
  const dataStart = offset;
  chunks.forEach((c, i) => {
    if (!c) return;
    index[2 * i] = BigInt(offset);
    index[2 * i + 1] = BigInt(c.length);
    offset += c.length;
  });
  const encodedIndex = await layout.indexCodec.encode(index);
  const out = new Uint8Array(offset + (layout.indexLocation === "end" ? encodedIndex.length : 0));
  let at = dataStart;
  for (const c of chunks) {
    if (!c) continue;
    out.set(c, at);
    at += c.length;
  }
  out.set(encodedIndex, layout.indexLocation === "start" ? 0 : offset);
  return out;
}
