import type { ByteSource, Store } from "../../src/storage/store.js";
import { safeKey } from "../../src/storage/keys.js";
import { DaeError } from "../../src/util/errors.js";

/** A store in a Map, for fuzzing metadata without touching the disk. Keys are checked as FsStore checks them. */
export class MapStore implements Store {
  readonly writable = true;
  readonly data = new Map<string, Uint8Array>();
  constructor(readonly url = "mem://fuzz") {}
  async get(key: string) {
    return this.data.get(safeKey(key, this.url));
  }
  async getRange(key: string, offset: number, length: number) {
    const b = this.data.get(safeKey(key, this.url));
    if (!b) return undefined;
    const start = offset < 0 ? Math.max(0, b.length + offset) : offset;
    return b.subarray(start, start + length);
  }
  async size(key: string) {
    return this.data.get(safeKey(key, this.url))?.length;
  }
  async set(key: string, bytes: Uint8Array) {
    this.data.set(safeKey(key, this.url), bytes);
  }
  async delete(key: string) {
    const k = safeKey(key, this.url);
    for (const name of [...this.data.keys()])
      if (name === k || name.startsWith(`${k}/`)) this.data.delete(name);
  }
  async list(prefix: string) {
    const p = prefix === "" ? "" : `${safeKey(prefix, this.url)}/`;
    const names = new Set<string>();
    for (const k of this.data.keys())
      if (k.startsWith(p)) names.add(k.slice(p.length).split("/")[0]);
    return [...names];
  }
}

/** A file's bytes in memory as a ByteSource; reads past the end fail as FileSource's do. */
export class BytesSource implements ByteSource {
  constructor(
    readonly bytes: Uint8Array,
    readonly url = "mem://fuzz.bin",
  ) {}
  async size() {
    return this.bytes.length;
  }
  async read(offset: number, length: number) {
    if (offset + length > this.bytes.length)
      throw new DaeError(
        `${this.url}: file ends at byte ${this.bytes.length}, expected ${offset + length} (truncated?)`,
      );
    return this.bytes.slice(offset, offset + length);
  }
}
