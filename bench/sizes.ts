/** Benchmark sizes: the cube's shape and chunks, and the chunk shapes the workloads ask for. */
export interface WorkloadParams {
  /** The cube (time × lat × lon, float32). */
  shape: number[];
  /** Its chunks in a.zarr and a.nc. */
  chunks: number[];
  /** Chunks of the second operand b.zarr (W4): misaligned with a's on purpose. */
  b_chunks: number[];
  /** W4 output chunks. */
  w4_chunks: number[];
  /** W5 target chunks: whole time series of small tiles. */
  rechunk: number[];
}

export type SizeName = "XS" | "S" | "M" | "L";

const M_CHUNKS = { chunks: [10, 360, 360], b_chunks: [73, 144, 144], w4_chunks: [30, 240, 240] };

/**
 * M is 730 days × 0.25° (≈ 3 GB raw); S is an eighth of it (half the lat and lon, 730 × 360 × 360)
 * with the same chunk shape, so per-chunk costs are M's; L is four times M along time (8 years).
 * XS (≈ 3 MB) is for a quick check of the suite itself; CI runs S.
 */
export const SIZES: Record<SizeName, WorkloadParams> = {
  XS: {
    shape: [365, 32, 64],
    chunks: [10, 32, 32],
    b_chunks: [73, 16, 16],
    w4_chunks: [30, 24, 24],
    rechunk: [365, 8, 8],
  },
  S: { shape: [730, 360, 360], ...M_CHUNKS, rechunk: [730, 48, 48] },
  M: { shape: [730, 720, 1440], ...M_CHUNKS, rechunk: [730, 48, 48] },
  L: { shape: [2920, 720, 1440], ...M_CHUNKS, rechunk: [2920, 48, 48] },
};

export function isSizeName(s: string): s is SizeName {
  return s in SIZES;
}
