/** Sets glibc's M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_TOP_PAD (bytes); false where not glibc or refused. */
export function tune(mmapThreshold: number, trimThreshold: number, topPad: number): boolean;
/** Returns the free pages of every malloc arena to the kernel (glibc's malloc_trim(0)); true where some went back. */
export function trim(): boolean;
/** Maps in the whole pages of a fresh buffer at once (Linux MADV_POPULATE_WRITE); false where refused (older kernels, other systems). */
export function populate(buffer: ArrayBuffer): boolean;
