/** Sets glibc's M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_TOP_PAD (bytes); false where not glibc or refused. */
export function tune(mmapThreshold: number, trimThreshold: number, topPad: number): boolean;
