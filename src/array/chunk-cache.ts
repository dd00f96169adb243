import type { TypedArray } from "./dtype.js";
import { keepScratch } from "../util/scratch-buffers.js";

/**
 * A least-recently-used cache of decoded chunks, bounded in bytes. A task keeps one so that
 * an input chunk straddling several of its slabs is decoded once, not once per slab; the
 * planner counts `maxBytes` in the task's memory.
 */
let nextId = 0;

export class ChunkCache {
  private readonly entries = new Map<string, TypedArray>();
  private bytes = 0;
  /** Chunks decoded (misses), for the plan's decode counts and the progress report. */
  decodes = 0;

  /** Arrays are told apart by identity (two arrays may share a `source` name). */
  private readonly ids = new WeakMap<object, number>();

  constructor(readonly maxBytes: number) {}

  /** Chunk `coords` of `array`, from the cache or from `load` (and then kept, if `keep`). */
  async get(array: object, coords: readonly number[], load: () => Promise<TypedArray>, keep = true): Promise<TypedArray> {
    let id = this.ids.get(array);
    if (id === undefined) this.ids.set(array, (id = nextId++));
    const key = `${id}|${coords}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = await load();
    this.decodes++;
    if (!keep || value.byteLength > this.maxBytes) return value;
    keepScratch(value); // held here for later reads: never reused under them
    this.entries.set(key, value);
    this.bytes += value.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.byteLength;
    }
    return value;
  }
}
