import { FormatError } from "../util/errors.js";

/**
 * A key-value store of bytes under one root: a directory, an HTTP prefix, an S3 prefix.
 * Keys are `/`-separated relative paths (`z/.zarray`, `z/c/0/1`). Stores never reach outside
 * their root: a key with `..`, a leading `/` or a backslash is refused.
 */
export interface Store {
  /** The root, for messages (a path or URL). */
  readonly url: string;
  /**
   * The bytes of `key`, or `undefined` when it does not exist. With `maxBytes`, a value known
   * to be larger (a chunk file far larger than its chunk can be encoded to, a sparse one) may
   * be refused before it is read; stores that cannot tell the size first read it whole.
   */
  get(key: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  /** `length` bytes of `key` from `offset` (a suffix of `length` bytes when `offset` < 0). */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined>;
  /** Size in bytes of `key`, or `undefined` when it does not exist. */
  size(key: string): Promise<number | undefined>;
  /** Whether `set`/`delete` are allowed. */
  readonly writable: boolean;
  /** Writes `key` atomically: readers see the old bytes or the new ones, never a part. */
  set(key: string, bytes: Uint8Array): Promise<void>;
  /** Deletes `key` and every key under `key/` (a folder-like delete). */
  delete(key: string): Promise<void>;
  /**
   * Writes `key` only if it does not exist yet, atomically and exclusively (two writers:
   * one wins); returns whether it wrote. Optional: stores that cannot do it leave it out.
   */
  setIfAbsent?(key: string, bytes: Uint8Array): Promise<boolean>;
  /**
   * Appends `bytes` to `key` (created if missing) in one write: a process killed at any moment
   * leaves the key with or without them, never a part of an append (for small appends, as
   * local files do). Optional: stores that cannot append (S3) leave it out.
   */
  append?(key: string, bytes: Uint8Array): Promise<void>;
  /** Keys directly under `prefix` (a folder-like listing: names, not full keys). */
  list(prefix: string): Promise<string[]>;
}

/** A random-access source of bytes: one file, local or remote (NetCDF, HDF5, TIFF). */
export interface ByteSource {
  readonly url: string;
  size(): Promise<number>;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** The refusal of a value at `where` of `size` bytes, past the `maxBytes` asked of `Store.get`. */
export function valueTooLarge(where: string, size: number, maxBytes: number): FormatError {
  return new FormatError(
    `${where}: ${size} bytes, more than the ${maxBytes} its content can take (corrupt or hostile); refused`,
  );
}
