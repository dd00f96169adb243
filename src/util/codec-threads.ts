import os from "node:os";
import { optionalAddon } from "./optional-addon.js";

/** The optional `dae-zstd-async` addon (`native/zstd-async`): zstd in the libuv thread pool. */
export interface PoolZstd {
  compress(dst: Uint8Array, src: Uint8Array, level: number): Promise<number>;
  decompress(dst: Uint8Array, src: Uint8Array): Promise<number>;
}

let addon: PoolZstd | null | undefined;
let inPool = false;

/**
 * Whether this thread's zstd work goes to the libuv thread pool (when the addon is built),
 * and the chunks it writes are encoded in the background. For plans that leave cores idle
 * (one that fits its budget only on fewer workers than cores, `dae convert`'s one thread):
 * their one thread then copies while the pool's threads decode and encode. Plans on every
 * core are slower with it (the pool's threads compete with the file reads and writes and with
 * the workers), so it is off unless a run turns it on.
 */
export function codecsInPool(): boolean {
  return inPool && poolZstd() !== undefined;
}

/** Turns `codecsInPool` on or off for this thread (each worker thread has its own). */
export function useCodecPool(on: boolean): void {
  inPool = on;
}

/** The cores this process may use. */
export function cores(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** The addon, or undefined where it did not build (no system libzstd) or `DAE_ZSTD_POOL=0`. */
export function poolZstd(): PoolZstd | undefined {
  // not built here: zstd-napi on the calling thread, the same frames
  if (addon === undefined)
    addon = optionalAddon<PoolZstd>("dae-zstd-async", "DAE_ZSTD_POOL") ?? null;
  return addon ?? undefined;
}
