import type { TypedArray } from "./dtype.js";

/**
 * A least-recently-used cache of decoded chunks, bounded in bytes. A task keeps one so that
 * an input chunk straddling several of its slabs is decoded once, not once per slab; the
 * planner counts `maxBytes` in the task's memory.
 */
export class ChunkCache {
  private readonly entries = new Map<string, TypedArray>();
  private bytes = 0;
  /** Chunks decoded (misses), for the plan's decode counts and the progress report. */
  decodes = 0;

  constructor(readonly maxBytes: number) {}

  async get(key: string, load: () => Promise<TypedArray>): Promise<TypedArray> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = await load();
    this.decodes++;
    if (value.byteLength > this.maxBytes) return value;
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
