import { BlockCachedSource, type BlockCacheOptions } from "./block-cached-source.js";
import { S3Store, type S3StoreOptions } from "./s3-store.js";
import { InputError } from "../util/errors.js";

/**
 * One S3 object (a NetCDF-3 or TIFF file), read with ranged GETs, small reads through a block
 * cache (`BlockCachedSource`). Endpoint and credentials as for `S3Store`.
 *
 * @example
 * ```ts
 * const src = new S3Source("s3://my-bucket/era5/z500.tif");
 * const header = await src.read(0, 16);
 * ```
 */
export class S3Source extends BlockCachedSource {
  /** The object as a store whose root key ("") is the object itself. */
  private readonly object: S3Store;
  private total?: number;

  constructor(
    readonly url: string,
    options: Omit<S3StoreOptions, "writable"> & BlockCacheOptions = {},
  ) {
    super(options);
    this.object = new S3Store(url, options);
    if (this.object.prefix === "")
      throw new InputError(`${url}: names a bucket, not an object like s3://bucket/key`);
  }

  async size(): Promise<number> {
    if (this.total === undefined) {
      const size = await this.object.size("");
      if (size === undefined) throw this.notFound();
      this.total = size;
    }
    return this.total;
  }

  protected async fetch(offset: number, length: number): Promise<Uint8Array> {
    const bytes = await this.object.getRange("", offset, length);
    if (!bytes) throw this.notFound();
    return bytes;
  }

  private notFound(): InputError {
    return new InputError(`${this.url}: no such object or Zarr store`);
  }
}
