import { valueTooLarge, type ByteSource, type Store } from "./store.js";
import { safeKey } from "./keys.js";
import { httpError, httpFetch, parseContentRange, type RetryOptions } from "./http-fetch.js";
import { DaeError, InputError } from "../util/errors.js";

/** The bytes a range request returned, and the resource's total size when the server said it. */
interface RangeResult {
  bytes: Uint8Array;
  total?: number;
}

/**
 * Reads `length` bytes from `offset` of `url` with one `Range` request (the last `-offset`
 * bytes, cut to `length`, when `offset` < 0). Returns `undefined` for 404/410 and fewer
 * bytes than asked at the end of the resource.
 */
async function readRange(
  url: string,
  offset: number,
  length: number,
  retry: RetryOptions,
): Promise<RangeResult | undefined> {
  const range = offset >= 0 ? `bytes=${offset}-${offset + length - 1}` : `bytes=${offset}`;
  const response = await httpFetch(url, { headers: { Range: range } }, retry);
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.status === 416) {
    // the range starts at or after the end: nothing to read there
    const total = parseContentRange(response.headers.get("content-range"))?.total;
    await response.body?.cancel();
    return { bytes: new Uint8Array(0), total };
  }
  if (response.status === 206) {
    const got = parseContentRange(response.headers.get("content-range"));
    const body = new Uint8Array(await response.arrayBuffer());
    if (offset >= 0 && got && got.start !== offset)
      throw new DaeError(
        `GET ${url}: asked for bytes from ${offset}, the server sent bytes from ${got.start}`,
      );
    return { bytes: offset < 0 ? body.subarray(0, length) : body, total: got?.total };
  }
  if (response.status === 200) {
    // The server ignored Range and sent the whole body: correct, but it costs a full
    // download per read. Slice out what was asked.
    const body = new Uint8Array(await response.arrayBuffer());
    const start = offset >= 0 ? offset : Math.max(0, body.length + offset);
    return { bytes: body.subarray(start, start + length), total: body.length };
  }
  throw await httpError(url, response);
}

/** The URL of `key` under the prefix `base` (segments percent-encoded). */
function keyUrl(base: string, key: string): string {
  const clean = safeKey(key, base);
  if (clean === "") return base;
  return `${base.replace(/\/+$/, "")}/${clean.split("/").map(encodeURIComponent).join("/")}`;
}

function checkHttpUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new InputError(`${url}: not a valid URL`);
  }
  if (protocol !== "http:" && protocol !== "https:")
    throw new InputError(`${url}: only http:// and https:// URLs can be read over HTTP`);
}

/**
 * A read-only store under an HTTP(S) URL prefix: key `a/b` is `<url>/a/b`. Reads use range
 * requests; HTTP cannot list a folder, so `list` returns `[]` (Zarr over HTTP relies on
 * consolidated metadata).
 *
 * @example
 * ```ts
 * const store = new HttpStore("https://example.org/data/era5.zarr");
 * const meta = await store.get(".zmetadata");
 * ```
 */
export class HttpStore implements Store {
  readonly writable = false;

  constructor(
    readonly url: string,
    private readonly retry: RetryOptions = {},
  ) {
    checkHttpUrl(url);
  }

  async get(key: string, maxBytes = Infinity): Promise<Uint8Array | undefined> {
    const url = keyUrl(this.url, key);
    const response = await httpFetch(url, {}, this.retry);
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await httpError(url, response);
    const length = Number(response.headers.get("content-length"));
    if (length > maxBytes) {
      await response.body?.cancel();
      throw valueTooLarge(url, length, maxBytes);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    if (length <= 0) return (await this.size(key)) === undefined ? undefined : new Uint8Array(0);
    return (await readRange(keyUrl(this.url, key), offset, length, this.retry))?.bytes;
  }

  async size(key: string): Promise<number | undefined> {
    return headSize(keyUrl(this.url, key), this.retry);
  }

  async set(key: string, _bytes: Uint8Array): Promise<void> {
    throw new InputError(`${this.url}: HTTP stores are read-only; cannot write "${key}"`);
  }

  async delete(key: string): Promise<void> {
    throw new InputError(`${this.url}: HTTP stores are read-only; cannot delete "${key}"`);
  }

  async list(_prefix: string): Promise<string[]> {
    return [];
  }
}

/**
 * Size of `url` from a HEAD request's Content-Length, or from a one-byte range request when
 * the server refuses HEAD or does not say; `undefined` when the resource does not exist.
 */
async function headSize(url: string, retry: RetryOptions): Promise<number | undefined> {
  const head = await httpFetch(url, { method: "HEAD" }, retry);
  if (head.status === 404 || head.status === 410) return undefined;
  const length = head.headers.get("content-length");
  if (head.ok && length !== null && /^\d+$/.test(length)) return Number(length);
  if (!head.ok && head.status !== 405 && head.status !== 501)
    throw await httpError(url, head, "HEAD");
  const probe = await readRange(url, 0, 1, retry);
  if (!probe) return undefined;
  if (probe.total === undefined)
    throw new DaeError(`${url}: the server reports no size (no Content-Length, no Content-Range)`);
  return probe.total;
}

/** Options for `HttpSource`. */
export interface HttpSourceOptions extends RetryOptions {
  /** Size of the cached blocks that small reads are served from (default 32 KiB). */
  blockSize?: number;
  /** Blocks kept (default 128, i.e. 4 MiB with the default block size). */
  cacheBlocks?: number;
}

/**
 * One file over HTTP(S), read with positioned range requests. Reads smaller than a block
 * (TIFF/NetCDF headers, IFDs, tile offset tables) go through a small LRU cache of aligned
 * blocks, with adjacent missing blocks fetched in one request, so parsing a header costs a
 * request or two rather than one per field. Larger reads (tiles, chunks) go straight to the
 * server: decoded data is cached above, by `ChunkCache`.
 *
 * @example
 * ```ts
 * const src = new HttpSource("https://example.org/cog.tif");
 * const header = await src.read(0, 16);
 * ```
 */
export class HttpSource implements ByteSource {
  private readonly blockSize: number;
  private readonly cacheBlocks: number;
  private readonly blocks = new Map<number, Promise<Uint8Array>>();
  private total?: number;

  constructor(
    readonly url: string,
    private readonly options: HttpSourceOptions = {},
  ) {
    checkHttpUrl(url);
    this.blockSize = options.blockSize ?? 32 * 1024;
    this.cacheBlocks = options.cacheBlocks ?? 128;
  }

  async size(): Promise<number> {
    if (this.total === undefined) {
      const size = await headSize(this.url, this.options);
      if (size === undefined) throw new DaeError(`${this.url}: not found (HTTP 404)`);
      this.total = size;
    }
    return this.total;
  }

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

  private async fetch(offset: number, length: number): Promise<Uint8Array> {
    const result = await readRange(this.url, offset, length, this.options);
    if (!result) throw new DaeError(`${this.url}: not found (HTTP 404)`);
    if (result.total !== undefined) this.total = result.total;
    return result.bytes;
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
