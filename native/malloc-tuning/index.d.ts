/** Sets glibc's M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_TOP_PAD (bytes); false where not glibc or refused. */
export function tune(mmapThreshold: number, trimThreshold: number, topPad: number): boolean;
/** Returns the free pages of every malloc arena to the kernel (glibc's malloc_trim(0)); true where some went back. */
export function trim(): boolean;
