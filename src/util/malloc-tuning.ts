import { createRequire } from "node:module";

/** glibc's largest allowed mmap threshold (HEAP_MAX_SIZE / 2 on 64-bit). */
const MMAP_THRESHOLD = 32 << 20;
/** Freed memory at the top of the heap is kept up to this much before it goes back. */
const TRIM_THRESHOLD = 1 << 30;
/** Extra heap requested per growth, so a run of chunk-sized buffers grows the heap rarely. */
const TOP_PAD = 64 << 20;

let tuned: boolean | undefined;
let native: { tune(m: number, t: number, p: number): boolean; trim(): boolean } | undefined;

/**
 * Keeps freed chunk-sized buffers in the heap for the next one (idempotent; whole process).
 *
 * Why: glibc serves blocks above 128 KB–32 MB by mmap and unmaps them when freed, so every
 * new decoded chunk, file read or block is faulted in page by page again; on this kind of
 * virtual machine that costs about 1.5 ms per MB — more than zstd takes to decode it
 * (W7, reading every chunk of the S cube: 2.10 s → 0.83 s). Uses the optional native
 * `dae-malloc-tuning` (mallopt); where it is not built, or `DAE_MALLOC_TUNING=0`, nothing
 * changes. The same effect from outside: `MALLOC_MMAP_THRESHOLD_=33554432
 * MALLOC_TRIM_THRESHOLD_=1073741824`.
 *
 * @returns whether the allocator was tuned
 */
export function tuneMalloc(): boolean {
  if (tuned !== undefined) return tuned;
  tuned = false;
  if (process.env.DAE_MALLOC_TUNING === "0") return tuned;
  try {
    native = createRequire(import.meta.url)("dae-malloc-tuning") as typeof native;
    tuned = native!.tune(MMAP_THRESHOLD, TRIM_THRESHOLD, TOP_PAD);
  } catch {
    // not built here: the default allocator, slower but the same results
  }
  return tuned;
}

/**
 * Gives the free memory of every malloc arena back (glibc's malloc_trim), where `tuneMalloc`
 * made it keep freed memory: between the stages of a run, whose chunk and block sizes differ,
 * what one stage's buffers left free would otherwise stay besides the next one's. A no-op
 * where the allocator was not tuned (it then returns freed memory by itself).
 */
export function trimMalloc(): void {
  if (tuned) native!.trim();
}
