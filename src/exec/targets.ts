import type { WritableChunkedArray } from "../array/chunked-array.js";
import { openZarr } from "../formats/zarr/index.js";
import type { OutputTarget } from "../plan/plan.js";
import { FsStore } from "../storage/fs-store.js";
import { isS3Url, S3Store } from "../storage/s3-store.js";
import type { Store } from "../storage/store.js";
import { DaeError } from "../util/errors.js";

/** The writable store at an output location: `s3://bucket/prefix` or a local directory. */
export function outputStore(url: string): Store {
  return isS3Url(url) ? new S3Store(url, { writable: true }) : new FsStore(url, true);
}

type OpenTarget = (target: OutputTarget) => Promise<WritableChunkedArray>;

/**
 * A function that opens the Zarr array an output writes to (the coordinator created it),
 * each once: one per run, so a long-lived worker does not keep a replaced store's metadata.
 */
export function targetOpener(): OpenTarget {
  const opened = new Map<string, Promise<WritableChunkedArray>>();
  return (target) => {
    if (target.kind !== "zarr") throw new DaeError("an in-memory output has no storage target");
    const key = `${target.url}|${target.path}`;
    let p = opened.get(key);
    if (!p) {
      p = openZarr(outputStore(target.url), target.path).then((ds) => {
        const array = [...ds.variables.values()][0] as WritableChunkedArray;
        if (!array || typeof array.writeChunk !== "function") throw new DaeError(`${target.url}:${target.path}: not a writable Zarr array`);
        return array;
      });
      opened.set(key, p);
      p.catch(() => opened.delete(key));
    }
    return p;
  };
}

let shared = targetOpener();

/** Opens (once per process, until `forgetTargets`) the Zarr array an output writes to. */
export function openTarget(target: OutputTarget): Promise<WritableChunkedArray> {
  return shared(target);
}

/** Forgets opened targets (after a run, so a later run with the same path reopens it). */
export function forgetTargets(): void {
  shared = targetOpener();
}
