import type { WritableChunkedArray } from "../array/chunked-array.js";
import { openZarr } from "../formats/zarr/index.js";
import type { OutputTarget } from "../plan/plan.js";
import { FsStore } from "../storage/fs-store.js";
import { DaeError } from "../util/errors.js";

/** Output arrays opened by this process, by url and path. */
const opened = new Map<string, Promise<WritableChunkedArray>>();

/** Opens (once per process) the Zarr array an output writes to; the coordinator created it. */
export function openTarget(target: OutputTarget): Promise<WritableChunkedArray> {
  if (target.kind !== "zarr") throw new DaeError("an in-memory output has no storage target");
  const key = `${target.url}|${target.path}`;
  let p = opened.get(key);
  if (!p) {
    p = openZarr(new FsStore(target.url, true), target.path).then((ds) => {
      const array = [...ds.variables.values()][0] as WritableChunkedArray;
      if (!array || typeof array.writeChunk !== "function") throw new DaeError(`${target.url}:${target.path}: not a writable Zarr array`);
      return array;
    });
    opened.set(key, p);
    p.catch(() => opened.delete(key));
  }
  return p;
}

/** Forgets opened targets (after a run, so a later run with the same path reopens it). */
export function forgetTargets(): void {
  opened.clear();
}
