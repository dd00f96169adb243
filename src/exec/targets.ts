import type { WritableChunkedArray } from "../array/chunked-array.js";
import { openZarr } from "../formats/zarr/index.js";
import type { OutputTarget } from "../plan/plan.js";
import { FsStore } from "../storage/fs-store.js";
import { joinKey } from "../storage/keys.js";
import { isS3Url, S3Store } from "../storage/s3-store.js";
import type { Store } from "../storage/store.js";
import { DaeError } from "../util/errors.js";

/** The writable store at an output location: `s3://bucket/prefix` or a local directory. */
export function outputStore(url: string): Store {
  return isS3Url(url) ? new S3Store(url, { writable: true }) : new FsStore(url, true);
}

type OpenTarget = (target: OutputTarget) => Promise<WritableChunkedArray>;

/**
 * A function that opens the Zarr array an output writes to (the coordinator created it).
 * An opened array is reused while the array's metadata in the store is unchanged: a
 * long-lived process (kept worker threads, `dae worker`) must not write a later run's
 * chunks with the grid or codecs of an earlier array at the same place.
 */
export function targetOpener(): OpenTarget {
  const opened = new Map<string, { meta: string; array: Promise<WritableChunkedArray> }>();
  return async (target) => {
    if (target.kind !== "zarr") throw new DaeError("an in-memory output has no storage target");
    const store = outputStore(target.url);
    const meta = await arrayMetadata(store, target.path);
    const key = `${target.url}|${target.path}`;
    const hit = opened.get(key);
    if (hit && hit.meta === meta) return hit.array;
    const array = openZarr(store, target.path).then((ds) => {
      const a = [...ds.variables.values()][0] as WritableChunkedArray;
      if (!a || typeof a.writeChunk !== "function")
        throw new DaeError(`${target.url}:${target.path}: not a writable Zarr array`);
      return a;
    });
    opened.set(key, { meta, array });
    array.catch(() => opened.delete(key));
    return array;
  };
}

/** The text of an array's metadata document (v3 `zarr.json`, or v2 `.zarray`). */
async function arrayMetadata(store: Store, path: string): Promise<string> {
  const key = joinKey(...path.split("/")); // as openZarr reads it: a leading "/" is inside the store
  const doc =
    (await store.get(joinKey(key, "zarr.json"))) ?? (await store.get(joinKey(key, ".zarray")));
  return doc ? new TextDecoder().decode(doc) : "";
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
