import { isS3Url } from "../storage/s3-store.js";
import { poolZstd } from "../util/codec-threads.js";
import { sourceName, type Plan } from "./plan.js";

/** Above this many decodes per source chunk, a rechunk goes through an intermediate store. */
const AMPLIFICATION_LIMIT = 2;
/** Intermediate chunks grow to about this size (rechunker avoids tiny intermediate chunks). */
const INTERMEDIATE_CHUNK_BYTES = 8 << 20;

/**
 * A rechunk whose blocks would decode each source chunk many times (source chunks long in
 * one dim, target chunks long in another), or that fits the budget only on fewer workers than
 * asked where the idle cores cannot take its zstd work (`codecsInPool`), goes through an
 * intermediate Zarr store, as rechunker does: the intermediate chunk is, per dim, the source
 * chunk where the target gathers and the target chunk where it splits, grown toward
 * INTERMEDIATE_CHUNK_BYTES. The first stage then writes whole intermediate chunks from few
 * source chunks, the second reads each intermediate chunk about once.
 *
 * `fits` says whether both stages plan under the budget with given intermediate chunks: the
 * second stage's tasks hold several intermediate chunks in flight, so under small budgets the
 * chunks are halved until they fit; where none fits, the rechunk runs in one stage.
 *
 * Returns, per output of `plan`, the intermediate chunk shape, or undefined where none is
 * needed (outputs that are not a source read with other chunks).
 */
export function intermediateChunks(
  plan: Plan,
  fits: (i: number, chunks: number[]) => boolean = () => true,
  /** The workers asked for: a plan that had to leave some idle to fit is staged too. */
  workers = plan.memory.workers,
): (number[] | undefined)[] {
  return plan.outputs.map((o, i) => {
    const node = plan.graph[o.id];
    if (node.op !== "source") return undefined;
    const d = plan.decodes.find((x) => x.source === sourceName(node));
    // on fewer workers, one stage wins where the idle cores take its zstd work (bench/README.md)
    const oneStage = plan.memory.workers >= workers || poolZstd() !== undefined;
    if (!d || (d.decodes <= AMPLIFICATION_LIMIT * d.chunks && oneStage)) return undefined;
    const target = o.chunkShape;
    // a stage's task holds several intermediate chunks: keep one well inside a task's share
    const item = node.dtype.endsWith("64") ? 8 : 4;
    const ungrown = node.chunkShape.reduce((p, c, k) => p * Math.min(c, target[k]), item);
    for (
      let maxBytes = Math.min(
        INTERMEDIATE_CHUNK_BYTES,
        plan.memory.budget / plan.memory.workers / 8,
      );
      ;
    ) {
      const chunks = grownChunks(node.shape, node.chunkShape, target, item, maxBytes);
      if (fits(i, chunks)) return chunks;
      const bytes = chunks.reduce((p, c) => p * c, item);
      if (bytes <= ungrown) return undefined;
      maxBytes = bytes / 2;
    }
  });
}

/**
 * Per dim the smaller of the source and target chunk, doubled in turn along dims where one
 * side is much longer than the other, while a chunk stays within `maxBytes`.
 */
function grownChunks(
  shape: readonly number[],
  source: readonly number[],
  target: readonly number[],
  item: number,
  maxBytes: number,
): number[] {
  const chunks = source.map((s, k) => Math.min(s, target[k]));
  for (let grown = true; grown;) {
    grown = false;
    for (let k = 0; k < chunks.length; k++) {
      const limit = Math.max(source[k], target[k]);
      const bytes = chunks.reduce((p, c) => p * c, item);
      if (chunks[k] * 2 > limit || bytes * 2 > maxBytes) continue;
      chunks[k] *= 2;
      grown = true;
    }
  }
  return chunks.map((c, k) => Math.min(c, shape[k]));
}

/**
 * How work stores (rechunk intermediates, shared results) are compressed: not at all on a
 * filesystem — each is written and read back once, so zstd's encode and decode cost more than
 * the bytes saved, and its fast negative levels leave float32 data uncompressed anyway — but
 * with zstd on S3, where each byte costs transfer time.
 * An uncompressed intermediate takes the array's raw size on disk.
 */
export function workCompressor(path: string): "none" | "zstd" {
  return isS3Url(path) ? "zstd" : "none";
}

/** The work directory of an output: a sibling folder, removed after success. */
export function workDir(path: string): string {
  return `${path.replace(/\/+$/, "")}.dae-work`;
}
