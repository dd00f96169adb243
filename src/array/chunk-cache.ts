import type { TypedArray } from "./dtype.js";
import { releaseScratch } from "../util/scratch-buffers.js";

/**
 * A least-recently-used cache of decoded chunks, bounded in bytes. A task keeps one so that
 * an input chunk straddling several of its slabs is decoded once, not once per slab; the
 * planner counts `maxBytes` in the task's memory.
 *
 * A reader tells the cache when it is `done` with a chunk `get` gave it: a chunk evicted with
 * no reader left (or never kept) goes back to the scratch pool for the next decode, instead of
 * waiting, dead, for V8's next collection. One a reader never says it is done with (a read
 * that hands the chunk on as its result) is simply never reused.
 */
let nextId = 0;

/** A kept chunk: its array and coordinates (for `retainOnly`) and its values. */
interface Entry {
  array: object;
  coords: readonly number[];
  value: TypedArray;
}

export class ChunkCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Readers holding each chunk that is, or was, kept here; a chunk leaves when the last is done after its eviction. */
  private readonly readers = new Map<TypedArray, number>();
  /** Chunks decoded (misses), for the plan's decode counts and the progress report. */
  decodes = 0;
  /** The most bytes kept at once, to compare with the plan's projection. */
  peakBytes = 0;

  /** Arrays are told apart by identity (two arrays may share a `source` name). */
  private readonly ids = new WeakMap<object, number>();

  constructor(readonly maxBytes: number) {}

  /** Chunk `coords` of `array`, from the cache or from `load` (and then kept, if `keep`). */
  async get(
    array: object,
    coords: readonly number[],
    load: () => Promise<TypedArray>,
    keep = true,
  ): Promise<TypedArray> {
    const key = this.key(array, coords);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.readers.set(hit.value, (this.readers.get(hit.value) ?? 0) + 1);
      return hit.value;
    }
    const value = await load();
    this.decodes++;
    if (!keep || value.byteLength > this.maxBytes) return value;
    // a concurrent read may have kept the same chunk meanwhile: this copy replaces it
    const before = this.entries.get(key);
    if (before) this.evict(key, before);
    this.entries.set(key, { array, coords: [...coords], value });
    this.readers.set(value, 1);
    this.bytes += value.byteLength;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.evict(k, e);
    }
    this.peakBytes = Math.max(this.peakBytes, this.bytes);
    return value;
  }

  /** No later read needs chunk `coords` of `array`: it leaves the cache (reused once its readers are done). */
  release(array: object, coords: readonly number[]): void {
    const key = this.key(array, coords);
    const e = this.entries.get(key);
    if (e) this.evict(key, e);
  }

  /** Bytes of the chunks kept now. */
  get keptBytes(): number {
    return this.bytes;
  }

  /** Whether chunk `coords` of `array` is kept. */
  has(array: object, coords: readonly number[]): boolean {
    return this.entries.has(this.key(array, coords));
  }

  /** Keeps only the chunks `wanted` says later reads need (a task computed in steps, between steps). */
  retainOnly(wanted: (array: object, coords: readonly number[]) => boolean): void {
    for (const [k, e] of this.entries) if (!wanted(e.array, e.coords)) this.evict(k, e);
  }

  private key(array: object, coords: readonly number[]): string {
    let id = this.ids.get(array);
    if (id === undefined) this.ids.set(array, (id = nextId++));
    return `${id}|${coords}`;
  }

  /** A reader is done with `value`, a chunk `get` gave it: it may be reused once nothing holds it. */
  done(value: TypedArray): void {
    const n = this.readers.get(value);
    if (n === undefined)
      releaseScratch(value); // the reader's own (not kept here)
    else if (n > 1 || this.isKept(value)) this.readers.set(value, n - 1);
    else {
      this.readers.delete(value);
      releaseScratch(value);
    }
  }

  private evict(key: string, { value }: Entry): void {
    this.entries.delete(key);
    this.bytes -= value.byteLength;
    if (this.readers.get(value)) return; // released by its last reader's `done`
    this.readers.delete(value);
    releaseScratch(value);
  }

  private isKept(value: TypedArray): boolean {
    for (const e of this.entries.values()) if (e.value === value) return true;
    return false;
  }
}
