import { BlockCachedSource, type BlockCacheOptions } from "./block-cached-source.js";
import { valueTooLarge, type Store } from "./store.js";
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
export interface HttpSourceOptions extends RetryOptions, BlockCacheOptions {}

/**
 * One file over HTTP(S), read with positioned range requests, small reads through a block
 * cache (`BlockCachedSource`).
 *
 * @example
 * ```ts
 * const src = new HttpSource("https://example.org/cog.tif");
 * const header = await src.read(0, 16);
 * ```
 */
export class HttpSource extends BlockCachedSource {
  private total?: number;

  constructor(
    readonly url: string,
    private readonly options: HttpSourceOptions = {},
  ) {
    checkHttpUrl(url);
    super(options);
  }

  async size(): Promise<number> {
    if (this.total === undefined) {
      const size = await headSize(this.url, this.options);
      if (size === undefined) throw new DaeError(`${this.url}: not found (HTTP 404)`);
      this.total = size;
    }
    return this.total;
  }

  protected async fetch(offset: number, length: number): Promise<Uint8Array> {
    const result = await readRange(this.url, offset, length, this.options);
    if (!result) throw new DaeError(`${this.url}: not found (HTTP 404)`);
    if (result.total !== undefined) this.total = result.total;
    return result.bytes;
  }
}
