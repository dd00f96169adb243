import { ChunkGrid } from "../../array/chunk-grid.js";
import {
  sizeOf,
  type Attrs,
  type FillValue,
  type WritableChunkedArray,
} from "../../array/chunked-array.js";
import { copyBox } from "../../array/copy-box.js";
import { allocate, arrayClass, type DType, type TypedArray } from "../../array/dtype.js";
import type { Store } from "../../storage/store.js";
import { joinKey } from "../../storage/keys.js";
import { DaeError, FormatError, InputError } from "../../util/errors.js";
import { releaseScratch } from "../../util/scratch-buffers.js";
import { createChunkCodec, firstLine, type ChunkCodec } from "./codec-pipeline.js";
import { fillElement, isAllFill } from "./fill-value.js";
import type { ArrayMeta } from "./metadata.js";
import {
  decodeShardIndex,
  encodeShard,
  indexRange,
  shardLayout,
  type ShardLayout,
} from "./sharding.js";
import { zarrWhere } from "./where.js";

/** Shard indexes kept per array when reading inner chunks one by one. */
const INDEX_CACHE_SIZE = 256;

/**
 * One Zarr array as a chunked array. Its grid is what one key stores (a chunk, or a whole
 * shard), so `writeChunk` writes whole keys; for reading a sharded array chunk by chunk, see
 * `innerChunks`. Chunks are read clipped to the array and written padded with the fill value;
 * a chunk that is all fill is not stored (and an old one at its key is deleted).
 */
export class ZarrArray implements WritableChunkedArray {
  readonly source: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly dims: readonly string[];
  readonly chunks: ChunkGrid;
  readonly fillValue: FillValue;
  readonly attrs: Attrs;
  readonly encoding: Attrs;
  /** The fill value as an element of the dtype's typed array (so comparisons match stored values). */
  protected readonly fill: number | bigint;
  /** Shape of the decoded unit at one key (chunk or shard). */
  protected readonly keyShape: number[];
  private codec?: Promise<ChunkCodec>;
  private layout?: Promise<ShardLayout>;

  constructor(
    protected readonly store: Store,
    /** The array's folder in the store. */
    readonly path: string,
    protected readonly meta: ArrayMeta,
    gridShape: number[] = meta.keyShape,
  ) {
    this.source = zarrWhere(store.url, path);
    this.shape = meta.shape;
    this.dtype = meta.dtype;
    this.dims = meta.dims;
    this.chunks = ChunkGrid.regular(meta.shape, gridShape);
    this.fillValue = meta.fillValue;
    this.attrs = meta.attrs;
    this.encoding = describeEncoding(meta);
    const probe = allocate(meta.dtype, 1);
    probe[0] = fillElement(meta.fillValue, meta.dtype) as never;
    this.fill = probe[0];
    this.keyShape = meta.keyShape;
  }

  /** The codec of one (inner) chunk, built on first use so that opening never fails on a codec. */
  protected chunkCodec(): Promise<ChunkCodec> {
    const shape = this.meta.sharding?.chunkShape ?? this.meta.keyShape;
    this.codec ??= createChunkCodec(this.meta.codecs, this.dtype, shape, this.source);
    return this.codec;
  }

  protected shardLayout(): Promise<ShardLayout> {
    this.layout ??= shardLayout(this.meta.sharding!, this.meta.keyShape, this.source);
    return this.layout;
  }

  /** The most bytes one key can hold: a chunk encoded, or a shard's inner chunks and index. */
  private async maxKeyBytes(): Promise<number> {
    const chunk = (await this.chunkCodec()).maxEncodedBytes;
    if (!this.meta.sharding) return chunk;
    const layout = await this.shardLayout();
    return layout.count * chunk + layout.indexBytes;
  }

  /** The store key of the unit at `coords` of the key grid. */
  protected key(coords: readonly number[]): string {
    return joinKey(this.path, this.meta.chunkKey(coords));
  }

  async readChunk(coords: readonly number[]): Promise<TypedArray> {
    this.chunks.checkCoords(coords, this.source);
    await this.chunkCodec(); // an unknown codec fails every read, not only reads of stored chunks
    const key = this.key(coords);
    const bytes = await this.store.get(key, await this.maxKeyBytes());
    const extent = this.chunks.chunkExtent(coords);
    if (!bytes) return this.filled(sizeOf(extent));
    const full = await this.decoding(key, () =>
      this.meta.sharding ? this.decodeShard(bytes) : this.decodeChunk(bytes),
    );
    return clip(used(bytes, full), this.keyShape, extent);
  }

  async writeChunk(coords: readonly number[], data: TypedArray): Promise<void> {
    await (
      await this.encodeChunk(coords, data)
    )();
  }

  async encodeChunk(coords: readonly number[], data: TypedArray): Promise<() => Promise<void>> {
    this.chunks.checkCoords(coords, this.source);
    const extent = this.chunks.chunkExtent(coords);
    if (!(data instanceof arrayClass(this.dtype)) || data.length !== sizeOf(extent))
      throw new InputError(
        `${this.source}: chunk [${coords}] needs ${sizeOf(extent)} values of ${this.dtype}, got ${data.length} in a ${data.constructor.name}`,
      );
    const key = this.key(coords);
    const full = this.pad(data, extent);
    const bytes =
      this.canSkipFill() && isAllFill(full, this.fill) ? undefined : await this.encodeUnit(full);
    if (!bytes) return () => this.store.delete(key);
    const store = async () => {
      await this.store.set(key, bytes);
      releaseApart(bytes, full);
    };
    // without a compressor the bytes are `data`'s own: written before it may be refilled
    if (bytes.buffer !== data.buffer) return store;
    await store();
    return async () => undefined;
  }

  async deleteChunk(coords: readonly number[]): Promise<void> {
    this.chunks.checkCoords(coords, this.source);
    await this.store.delete(this.key(coords));
  }

  /** v2 arrays without a fill value read missing chunks as garbage in zarr-python: always store. */
  protected canSkipFill(): boolean {
    return this.fillValue !== null;
  }

  protected filled(n: number): TypedArray {
    return allocate(this.dtype, n).fill(this.fill as never);
  }

  /** Runs a decode, turning what goes wrong into a FormatError that names the chunk. */
  protected async decoding<T>(key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof DaeError) throw e;
      throw new FormatError(`${this.source}: chunk ${key}: ${firstLine(e)}`, { cause: e });
    }
  }

  private async decodeChunk(bytes: Uint8Array): Promise<TypedArray> {
    return (await this.chunkCodec()).decode(bytes);
  }

  private async decodeShard(bytes: Uint8Array): Promise<TypedArray> {
    const layout = await this.shardLayout();
    const codec = await this.chunkCodec();
    const [at, length] = indexRange(layout, bytes.length);
    if (at < 0)
      throw new Error(
        `shard of ${bytes.length} bytes cannot hold its ${layout.indexBytes}-byte index`,
      );
    const entry = await decodeShardIndex(
      layout,
      bytes.subarray(at, at + length),
      codec.maxEncodedBytes,
    );
    const inner = this.meta.sharding!.chunkShape;
    const out = this.filled(sizeOf(this.keyShape));
    for (let i = 0; i < layout.count; i++) {
      const e = entry(i);
      if (!e) continue;
      if (e[0] + e[1] > bytes.length)
        throw new Error(`inner chunk ${i} at bytes ${e[0]}+${e[1]} lies past the shard's end`);
      // the shard's bytes serve every inner chunk: given back by readChunk, after the last
      const chunk = await codec.decode(bytes.subarray(e[0], e[0] + e[1]));
      const origin = unravel(i, layout.perShard).map((c, d) => c * inner[d]);
      copyBox(chunk, inner, zeros(inner), out, this.keyShape, origin, inner);
      releaseApart(chunk, bytes);
    }
    return out;
  }

  private async encodeUnit(full: TypedArray): Promise<Uint8Array | undefined> {
    const codec = await this.chunkCodec();
    if (!this.meta.sharding) return codec.encode(full);
    const layout = await this.shardLayout();
    const inner = this.meta.sharding.chunkShape;
    const encoded: (Uint8Array | undefined)[] = [];
    for (let i = 0; i < layout.count; i++) {
      // a fresh buffer each time: without a compressor the encoded bytes are a view of it
      const chunk = allocate(this.dtype, sizeOf(inner));
      const origin = unravel(i, layout.perShard).map((c, d) => c * inner[d]);
      copyBox(full, this.keyShape, origin, chunk, inner, zeros(inner), inner);
      encoded.push(isAllFill(chunk, this.fill) ? undefined : await codec.encode(chunk));
    }
    if (!encoded.some((c) => c)) return undefined;
    const shard = await encodeShard(layout, encoded);
    for (const c of encoded) releaseScratch(c);
    return shard;
  }

  /** `data` of `extent` placed in a full unit, the rest fill (Zarr stores whole edge chunks). */
  private pad(data: TypedArray, extent: number[]): TypedArray {
    if (extent.every((e, d) => e === this.keyShape[d])) return data;
    const full = this.filled(sizeOf(this.keyShape));
    copyBox(data, extent, zeros(extent), full, this.keyShape, zeros(extent), extent);
    return full;
  }
}

/**
 * A sharded array read inner chunk by inner chunk: the grid is the inner chunk grid, each
 * read fetches the shard's index (cached) and one byte range. Read-only.
 */
export class InnerChunkReader extends ZarrArray {
  private readonly indexes = new Map<
    string,
    Promise<((i: number) => [number, number] | undefined) | undefined>
  >();

  constructor(store: Store, path: string, meta: ArrayMeta) {
    super(store, path, meta, meta.sharding!.chunkShape);
  }

  override async readChunk(coords: readonly number[]): Promise<TypedArray> {
    this.chunks.checkCoords(coords, this.source);
    await this.chunkCodec();
    const layout = await this.shardLayout();
    const shard = coords.map((c, d) => Math.floor(c / layout.perShard[d]));
    const key = this.key(shard);
    const entry = await this.index(key, layout);
    const extent = this.chunks.chunkExtent(coords);
    const i = ravel(
      coords.map((c, d) => c % layout.perShard[d]),
      layout.perShard,
    );
    const range = entry?.(i);
    if (!range) return this.filled(sizeOf(extent));
    const inner = this.meta.sharding!.chunkShape;
    const full = await this.decoding(`${key} (inner chunk [${coords}])`, async () => {
      const bytes = await this.store.getRange(key, range[0], range[1]);
      if (!bytes || bytes.length !== range[1])
        throw new Error(`inner chunk at bytes ${range[0]}+${range[1]} lies past the shard's end`);
      return used(bytes, await (await this.chunkCodec()).decode(bytes));
    });
    return clip(full, inner, extent);
  }

  override async writeChunk(): Promise<void> {
    throw new InputError(
      `${this.source}: opened for reading; write shards through createZarrArray`,
    );
  }

  private index(key: string, layout: ShardLayout) {
    let hit = this.indexes.get(key);
    if (!hit) {
      hit = this.decoding(`${key} (shard index)`, async () => {
        const [offset, length] = indexRange(layout);
        const bytes = await this.store.getRange(key, offset, length);
        const codec = await this.chunkCodec();
        return bytes && decodeShardIndex(layout, bytes, codec.maxEncodedBytes);
      });
      hit.catch(() => this.indexes.delete(key));
      if (this.indexes.size >= INDEX_CACHE_SIZE)
        this.indexes.delete(this.indexes.keys().next().value!);
      this.indexes.set(key, hit);
    }
    return hit;
  }
}

/** The `extent` corner of a C-order `full` chunk of `shape`: the chunk itself when it fits, else a copy (`full` is then given back). */
function clip(full: TypedArray, shape: readonly number[], extent: readonly number[]): TypedArray {
  if (extent.every((e, d) => e === shape[d])) return full;
  const out = new (full.constructor as new (n: number) => TypedArray)(sizeOf(extent));
  copyBox(full, shape, zeros(extent), out, extent, zeros(extent), extent);
  releaseScratch(full);
  return out;
}

/** `decoded`, once the encoded `bytes` it came from are used up (given back, see `releaseApart`). */
function used<T extends TypedArray>(bytes: Uint8Array, decoded: T): T {
  releaseApart(bytes, decoded);
  return decoded;
}

/** Gives back `done`, unless `kept` is a view of the same buffer (no compressor), which carries it on. */
function releaseApart(done: ArrayBufferView, kept: ArrayBufferView): void {
  if (done.buffer !== kept.buffer) releaseScratch(done);
}

function zeros(like: readonly number[]): number[] {
  return like.map(() => 0);
}

function unravel(i: number, counts: readonly number[]): number[] {
  const out = new Array<number>(counts.length);
  for (let d = counts.length - 1; d >= 0; d--) {
    out[d] = i % counts[d];
    i = Math.floor(i / counts[d]);
  }
  return out;
}

function ravel(coords: readonly number[], counts: readonly number[]): number {
  return coords.reduce((i, c, d) => i * counts[d] + c, 0);
}

const COMPRESSORS = new Set(["blosc", "zstd", "gzip", "zlib", "lz4"]);

/** Format facts for `dae info`: compressor, filters, order, chunk and shard shapes. */
function describeEncoding(meta: ArrayMeta): Attrs {
  const names = meta.codecs.map((c) => c.name.replace(/^numcodecs\./, ""));
  const comp = meta.codecs.find((c) => COMPRESSORS.has(c.name.replace(/^numcodecs\./, "")));
  const compName = comp?.name.replace(/^numcodecs\./, "");
  const permutation = meta.codecs.find((c) => c.name === "transpose")?.configuration?.order as
    number[] | undefined;
  const reversed = permutation?.every((axis, i) => axis === permutation.length - 1 - i);
  const endian = meta.codecs.find((c) => c.name === "bytes")?.configuration?.endian ?? "little";
  return {
    zarrFormat: meta.zarrFormat,
    compressor:
      compName === "blosc"
        ? `blosc/${(comp!.configuration?.cname as string) ?? "lz4"}`
        : (compName ?? "none"),
    filters: names.filter(
      (n) => n !== "bytes" && n !== "transpose" && n !== compName && n !== "crc32c",
    ),
    order:
      !permutation || permutation.every((axis, i) => axis === i)
        ? "C"
        : reversed
          ? "F"
          : permutation,
    endian: endian as string,
    chunks: meta.sharding?.chunkShape ?? meta.keyShape,
    ...(meta.sharding ? { shards: meta.keyShape } : {}),
  };
}
