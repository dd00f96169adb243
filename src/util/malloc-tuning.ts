import { optionalAddon } from "./optional-addon.js";

/** glibc's largest allowed mmap threshold (HEAP_MAX_SIZE / 2 on 64-bit). */
const MMAP_THRESHOLD = 32 << 20;
/** Freed memory at the top of the heap is kept up to this much before it goes back. */
const TRIM_THRESHOLD = 1 << 30;
/** Extra heap requested per growth, so a run of chunk-sized buffers grows the heap rarely. */
const TOP_PAD = 64 << 20;

/** Fresh buffers from this size up have their pages mapped in at once (see `populate`). */
const MIN_POPULATED = 1 << 20;

type Addon = {
  tune(m: number, t: number, p: number): boolean;
  trim(): boolean;
  populate?(b: ArrayBuffer): boolean;
};

let tuned: boolean | undefined;
/** This thread's handle on the addon (null: not built, or `DAE_MALLOC_TUNING=0`). */
let native: Addon | null | undefined;

function addon(): Addon | undefined {
  if (native === undefined)
    native = optionalAddon<Addon>("dae-malloc-tuning", "DAE_MALLOC_TUNING") ?? null;
  return native ?? undefined;
}

/**
 * Keeps freed chunk-sized buffers in the heap for the next one (idempotent; whole process).
 *
 * Why: glibc serves blocks above 128 KB–32 MB by mmap and unmaps them when freed, so every
 * new decoded chunk, file read or block is faulted in page by page again; on virtual
 * machines that costs more than zstd takes to decode the chunk. Uses the optional native
 * `dae-malloc-tuning` (mallopt); where it is not built, or `DAE_MALLOC_TUNING=0`, nothing
 * changes. The same effect from outside: `MALLOC_MMAP_THRESHOLD_=33554432
 * MALLOC_TRIM_THRESHOLD_=1073741824`.
 *
 * @returns whether the allocator was tuned
 */
export function tuneMalloc(): boolean {
  // not built here: the default allocator, slower but the same results
  tuned ??= addon()?.tune(MMAP_THRESHOLD, TRIM_THRESHOLD, TOP_PAD) ?? false;
  return tuned;
}

/**
 * Gives the free memory of every malloc arena back (glibc's malloc_trim), where `tuneMalloc`
 * made it keep freed memory: between the stages of a run, whose chunk and block sizes differ,
 * what one stage's buffers left free would otherwise stay besides the next one's. A no-op
 * where the allocator cannot be tuned (it then returns freed memory by itself). Tunes it
 * first where this thread has not: the setting is the process's, but a worker thread has its
 * own copy of this module, and asked its own `tuned` trimmed nothing.
 */
export function trimMalloc(): void {
  if (tuneMalloc()) addon()!.trim();
}

/**
 * Maps in the pages of a buffer just allocated, all at once, before it is first written.
 *
 * Why: a fresh multi-megabyte buffer (a decoded chunk, a file read, a block) is otherwise
 * faulted in page by page as it is written, one fault a page; mapping a run of pages in one
 * call (Linux MADV_POPULATE_WRITE) saves much of that. Pages already mapped (memory the allocator
 * reuses) cost only a check. Uses the optional `dae-malloc-tuning`; a no-op where it is not
 * built, where the kernel refuses (before 5.14), or with `DAE_MALLOC_TUNING=0`.
 *
 * @returns `buffer`
 */
export function populate(buffer: ArrayBuffer): ArrayBuffer {
  // not built here, or built before it had populate (a checkout not reinstalled): pages are
  // faulted in as they are written
  if (buffer.byteLength >= MIN_POPULATED) addon()?.populate?.(buffer);
  return buffer;
}
