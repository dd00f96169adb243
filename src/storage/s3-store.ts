import type { S3Client } from "@aws-sdk/client-s3";
import { safeKey } from "./keys.js";
import { valueTooLarge, type Store } from "./store.js";
import { DaeError, FormatError, InputError } from "../util/errors.js";

/** How to reach S3 or an S3-compatible server. */
export interface S3StoreOptions {
  /** Endpoint of an S3-compatible server (default: env `DAE_S3_ENDPOINT`, then `AWS_ENDPOINT_URL`, else AWS). */
  endpoint?: string;
  /** Region (default: env `AWS_REGION`, else `us-east-1`). */
  region?: string;
  /** Allow `set`/`delete` (default false). */
  writable?: boolean;
  /** A client to use instead of one built from the options (credentials come from the AWS default chain). */
  client?: S3Client;
}

type Sdk = typeof import("@aws-sdk/client-s3");
/** The SDK takes ~0.4 s to load: only commands that touch S3 pay for it. */
let sdkLoading: Promise<Sdk> | undefined;
const loadSdk = () => (sdkLoading ??= import("@aws-sdk/client-s3"));

/** Clients by endpoint and region: one connection pool per process, not per store. */
const clients = new Map<string, S3Client>();

function clientFor(sdk: Sdk, options: S3StoreOptions): S3Client {
  const endpoint = options.endpoint ?? process.env.DAE_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL;
  const region =
    options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  const key = `${endpoint ?? ""}|${region}`;
  let client = clients.get(key);
  if (!client) {
    // the SDK's notice about Node 20 support ending would print on every command; package.json states our engines
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    client = new sdk.S3Client({
      region,
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      // S3-compatible servers often lack the newer checksum headers; S3 itself does not need them
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    clients.set(key, client);
  }
  return client;
}

/** Splits `s3://bucket/prefix` into bucket and prefix (no trailing slash). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]))
    throw new InputError(`${url}: not an S3 URL like s3://bucket/prefix`);
  return { bucket: m[1], prefix: m[2].replace(/\/+$/, "") };
}

/** Whether `url` names an S3 location. */
export function isS3Url(url: string): boolean {
  return /^s3:\/\//i.test(url);
}

/**
 * A store under an S3 prefix: key `a/b` is object `<prefix>/a/b`. Reads use ranged GETs,
 * `set` is one PutObject (atomic: readers see the old object or the new one), `list` is a
 * delimited ListObjectsV2. Works with S3-compatible servers through `endpoint` (path-style).
 *
 * @example
 * ```ts
 * const store = new S3Store("s3://my-bucket/era5.zarr", { writable: true });
 * const meta = await store.get("zarr.json");
 * ```
 */
export class S3Store implements Store {
  readonly bucket: string;
  readonly prefix: string;
  readonly writable: boolean;
  private connected?: Promise<{ sdk: Sdk; client: S3Client }>;

  constructor(
    readonly url: string,
    options: S3StoreOptions = {},
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    this.writable = options.writable ?? false;
    this.options = options;
  }

  private readonly options: S3StoreOptions;

  private connect(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.connected ??= loadSdk().then((sdk) => ({
      sdk,
      client: this.options.client ?? clientFor(sdk, this.options),
    }));
    return this.connected;
  }

  private objectKey(key: string): string {
    const clean = safeKey(key, this.url);
    return this.prefix === "" ? clean : clean === "" ? this.prefix : `${this.prefix}/${clean}`;
  }

  /** A one-line error naming the object, for anything S3 answered but "not found". */
  private failure(e: unknown, key: string, what: string): DaeError {
    const status = statusOf(e);
    const name = status ? `${(e as Error).name} (HTTP ${status})` : (e as Error).message;
    return new DaeError(`${what} s3://${this.bucket}/${this.objectKey(key)}: ${name}`, {
      cause: e,
    });
  }

  async get(key: string, maxBytes = Infinity): Promise<Uint8Array | undefined> {
    return this.read(key, undefined, maxBytes);
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    if (offset < 0) {
      // suffix ranges (`bytes=-n`) are not honoured by every S3-compatible server: ask the size
      const size = await this.size(key);
      if (size === undefined) return undefined;
      offset = Math.max(0, size + offset);
    }
    if (length <= 0) return (await this.size(key)) === undefined ? undefined : new Uint8Array(0);
    return this.read(key, `bytes=${offset}-${offset + length - 1}`);
  }

  private async read(
    key: string,
    range?: string,
    maxBytes = Infinity,
  ): Promise<Uint8Array | undefined> {
    try {
      const { sdk, client } = await this.connect();
      const res = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range: range }),
      );
      if ((res.ContentLength ?? 0) > maxBytes) {
        await res.Body!.transformToWebStream().cancel();
        throw valueTooLarge(
          `s3://${this.bucket}/${this.objectKey(key)}`,
          res.ContentLength!,
          maxBytes,
        );
      }
      return await res.Body!.transformToByteArray();
    } catch (e) {
      if (e instanceof FormatError) throw e; // the size check above
      if (isNotFound(e)) return undefined;
      // a range that starts at or after the end: nothing there
      if (range && statusOf(e) === 416) return new Uint8Array(0);
      throw this.failure(e, key, "GET");
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const { sdk, client } = await this.connect();
      const res = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return res.ContentLength;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.failure(e, key, "HEAD");
    }
  }

  async set(key: string, bytes: Uint8Array): Promise<void> {
    this.checkWritable();
    try {
      const { sdk, client } = await this.connect();
      await client.send(
        new sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: bytes }),
      );
    } catch (e) {
      throw this.failure(e, key, "PUT");
    }
  }

  /** A conditional PUT (`If-None-Match: *`); a server that ignores the condition is checked first. */
  async setIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    this.checkWritable();
    if ((await this.size(key)) !== undefined) return false;
    try {
      const { sdk, client } = await this.connect();
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          IfNoneMatch: "*",
        }),
      );
      return true;
    } catch (e) {
      if (statusOf(e) === 412 || statusOf(e) === 409) return false;
      throw this.failure(e, key, "PUT");
    }
  }

  async delete(key: string): Promise<void> {
    this.checkWritable();
    const object = this.objectKey(key);
    try {
      const { sdk, client } = await this.connect();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: object }));
      // and everything below it, as deleting a folder does
      for await (const keys of this.pages(object === "" ? "" : `${object}/`)) {
        if (keys.length === 0) continue;
        await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      }
    } catch (e) {
      if (e instanceof DaeError) throw e;
      throw this.failure(e, key, "DELETE");
    }
  }

  /** Object keys under `prefix`, a page (up to 1000) at a time. */
  private async *pages(prefix: string): AsyncGenerator<string[]> {
    const { sdk, client } = await this.connect();
    let token: string | undefined;
    do {
      const res = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      yield (res.Contents ?? []).map((c) => c.Key!).filter(Boolean);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.objectKey(prefix);
    const under = base === "" ? "" : `${base}/`;
    const names = new Set<string>();
    let token: string | undefined;
    try {
      const { sdk, client } = await this.connect();
      do {
        const res = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: under,
            Delimiter: "/",
            ContinuationToken: token,
          }),
        );
        for (const p of res.CommonPrefixes ?? [])
          if (p.Prefix) names.add(p.Prefix.slice(under.length).replace(/\/$/, ""));
        for (const c of res.Contents ?? [])
          if (c.Key && c.Key !== under) names.add(c.Key.slice(under.length));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.failure(e, prefix, "LIST");
    }
    return [...names].filter((n) => n !== "");
  }

  private checkWritable(): void {
    if (!this.writable) throw new InputError(`${this.url} is opened read-only`);
  }
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(e: unknown): boolean {
  const name = (e as Error)?.name;
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(e) === 404;
}
