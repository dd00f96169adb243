import type { ByteSource } from "./store.js";
import { DaeError, InputError } from "../util/errors.js";

/** Options of a remote `ByteSource` (HTTP, S3): the block cache small reads are served from. */
export interface BlockCacheOptions {
  /** Size of the cached blocks that small reads are served from (default 32 KiB). */
  blockSize?: number;
  /** Blocks kept (default 128, i.e. 4 MiB with the default block size). */
  cacheBlocks?: number;
}

/**
 * One remote file read with positioned range requests (`fetch`, given by the subclass). Reads
 * smaller than a block (TIFF/NetCDF headers, IFDs, tile offset tables) go through a small LRU
 * cache of aligned blocks, with adjacent missing blocks fetched in one request, so parsing a
 * header costs a request or two rather than one per field. Larger reads (tiles, chunks) go
 * straight to the server: decoded data is cached above, by `ChunkCache`.
 */
export abstract class BlockCachedSource implements ByteSource {
  abstract readonly url: string;
  private readonly blockSize: number;
  private readonly cacheBlocks: number;
  private readonly blocks = new Map<number, Promise<Uint8Array>>();

  constructor(options: BlockCacheOptions = {}) {
    this.blockSize = options.blockSize ?? 32 * 1024;
    this.cacheBlocks = options.cacheBlocks ?? 128;
  }

  abstract size(): Promise<number>;

  /** Up to `length` bytes at `offset` (fewer at the end of the file), from the server. */
  protected abstract fetch(offset: number, length: number): Promise<Uint8Array>;

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!(
      Number.isSafeInteger(offset) &&
      offset >= 0 &&
      Number.isSafeInteger(length) &&
      length >= 0
    ))
      throw new InputError(`${this.url}: invalid read of ${length} bytes at ${offset}`);
    if (length === 0) return new Uint8Array(0);
    const out =
      length >= this.blockSize
        ? await this.fetch(offset, length)
        : await this.readCached(offset, length);
    if (out.length < length)
      throw new DaeError(
        `${this.url}: file ends at byte ${offset + out.length}, expected ${offset + length} (truncated?)`,
      );
    return out;
  }

  async close(): Promise<void> {
    this.blocks.clear();
  }

  private async readCached(offset: number, length: number): Promise<Uint8Array> {
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + length - 1) / bs);
    // fetch each run of adjacent missing blocks with one request
    for (let b = first; b <= last; b++) {
      if (this.blocks.has(b)) continue;
      const start = b;
      let end = b;
      while (end < last && !this.blocks.has(end + 1)) end++;
      const run = this.fetch(start * bs, (end - start + 1) * bs);
      for (let k = start; k <= end; k++) {
        const block = run.then((bytes) => bytes.subarray((k - start) * bs, (k - start + 1) * bs));
        block.catch(() => this.blocks.delete(k));
        this.blocks.set(k, block);
      }
      b = end;
    }
    const parts: Uint8Array[] = [];
    for (let b = first; b <= last; b++) {
      const block = this.blocks.get(b)!;
      this.blocks.delete(b); // re-insert: most recently used last
      this.blocks.set(b, block);
      parts.push(await block);
    }
    this.evict(last - first + 1);
    const out = new Uint8Array(length);
    let got = 0;
    for (let i = 0; i < parts.length; i++) {
      const from = i === 0 ? offset - first * bs : 0;
      const piece = parts[i].subarray(from, from + length - got);
      out.set(piece, got);
      got += piece.length;
      if (parts[i].length < bs) break; // the last block of the file
    }
    return got === length ? out : out.subarray(0, got);
  }

  /** Drops least recently used blocks beyond the budget, keeping the `keep` just used. */
  private evict(keep: number): void {
    const excess = this.blocks.size - Math.max(this.cacheBlocks, keep);
    let n = 0;
    for (const key of this.blocks.keys()) {
      if (n++ >= excess) break;
      this.blocks.delete(key);
    }
  }
}
