import { promises as fs } from "node:fs";
import path from "node:path";
import type { Attrs } from "../array/chunked-array.js";
import { consolidateMetadata, createZarrGroup, isZarr } from "../formats/zarr/index.js";
import { FsStore, ioError } from "../storage/fs-store.js";
import {
  LOCK_KEY,
  OutputLock,
  refuseIfHeld,
  RUN_DIR,
  type LockOptions,
} from "../storage/output-lock.js";
import type { Store } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import { refuseOverlap } from "./output-overlap.js";

/** An output store opened for writing, and this writer's lock on it. */
export interface PreparedTarget {
  store: Store;
  /** Release it (and remove `RUN_DIR`, see `releaseTarget`) once the store is complete. */
  lock: OutputLock;
}

/**
 * The store to write a dataset to, locked for this writer. A target that is, contains or
 * lies inside one of `inputs` (where the data written is read from) is refused
 * (`refuseOverlap`). An existing target is refused unless `overwrite`; then it is emptied,
 * but only if it looks like a Zarr store (complete or partly written), so a typo cannot wipe
 * an unrelated directory. The lock is taken before anything is deleted: a store another live
 * writer holds is refused, never emptied under it.
 */
export async function prepareZarrTarget(
  target: Store | string,
  overwrite: boolean,
  inputs: readonly string[],
  lockOptions: LockOptions = {},
): Promise<PreparedTarget> {
  const url = typeof target === "string" ? target : target.url;
  await refuseOverlap(url, inputs);
  const existing = await targetEntries(target, overwrite);
  if (existing.length > 0) {
    const store = typeof target === "string" ? new FsStore(target) : target;
    // being written: say so, whatever else would be refused
    if (existing.includes(RUN_DIR)) await refuseIfHeld(store, lockOptions.staleAfterMs);
    if (!overwrite) throw new InputError(`${url}: already exists (overwrite it with --overwrite)`);
    if (!(await looksLikeZarr(store)))
      throw new InputError(`${url}: exists and is not a Zarr store; refusing to replace it`);
  }
  if (typeof target === "string") await makeFolders(target);
  const store = typeof target === "string" ? new FsStore(target, true) : target;
  const lock = await OutputLock.acquire(store, lockOptions);
  try {
    for (const entry of existing) if (entry !== RUN_DIR) await store.delete(entry);
    // an unfinished run's records go too, but not the lock just taken
    for (const entry of await store.list(RUN_DIR))
      if (`${RUN_DIR}/${entry}` !== LOCK_KEY) await store.delete(`${RUN_DIR}/${entry}`);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return { store, lock };
}

/** What a target holds now (nothing when it does not exist); a file is refused. */
async function targetEntries(target: Store | string, overwrite: boolean): Promise<string[]> {
  if (typeof target !== "string") return target.list("");
  const stat = await fs.stat(target).catch((e) => {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw ioError(e, target);
  });
  if (!stat) return [];
  if (!stat.isDirectory())
    throw new InputError(
      overwrite
        ? `${target}: exists and is not a Zarr store; refusing to replace it`
        : `${target}: already exists (overwrite it with --overwrite)`,
    );
  return fs.readdir(target).catch((e) => {
    throw ioError(e, target);
  });
}

/**
 * Creates folder `dir` and the missing ones above it, top down. Not `mkdir -p`: on a file
 * system that takes no new entries (/proc) mkdir says ENOENT, and Node's recursive mkdir
 * then retries forever; here it is a one-line refusal saying so.
 */
async function makeFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const exists = await fs.stat(at).then(
      () => true,
      () => false,
    );
    if (exists || path.dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const folder of missing)
    await fs.mkdir(folder).catch((e) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return; // made meanwhile
      if (code === "ENOENT")
        throw new InputError(
          `${dir}: cannot create ${folder}: ${path.dirname(folder)} takes no new entries (a read-only or special file system)`,
        );
      throw ioError(e, folder);
    });
}

/** Ends a writer's hold on a complete store: its lock, then its records folder. */
export async function releaseTarget({ store, lock }: PreparedTarget): Promise<void> {
  await lock.release();
  await store.delete(RUN_DIR);
}

/**
 * Marks a written store complete: intermediate groups of nested arrays, then the root
 * group's metadata and the consolidated metadata, last. A store whose writing stopped
 * part-way has no root `.zgroup`/`zarr.json` and no `.zmetadata`, so xarray and zarr refuse
 * to open it as a dataset rather than show partial data.
 */
export async function finishZarrStore(
  store: Store,
  arrayNames: string[],
  attrs: Attrs,
  zarrFormat: 2 | 3,
): Promise<void> {
  for (const group of parentGroups(arrayNames)) await createZarrGroup(store, group, {}, zarrFormat);
  await createZarrGroup(store, "", attrs, zarrFormat);
  await consolidateMetadata(store, "", zarrFormat);
}

function parentGroups(names: string[]): string[] {
  const groups = new Set<string>();
  for (const name of names) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) groups.add(parts.slice(0, i).join("/"));
  }
  return [...groups].sort((a, b) => a.split("/").length - b.split("/").length);
}

/**
 * A complete Zarr store, or what an interrupted write leaves: entries that are all Zarr
 * arrays (a folder that merely holds a Zarr store is not one).
 */
async function looksLikeZarr(store: Store): Promise<boolean> {
  if (await isZarr(store)) return true;
  const all = await store.list("");
  if (all.length === 0) return false;
  // a writer's records and lock (see RUN_DIR) mark an unfinished store (one stopped before its first array too)
  const entries = all.filter((e) => e !== RUN_DIR);
  for (const entry of entries) if (!(await isZarrArray(store, entry))) return false;
  return true;
}

async function isZarrArray(store: Store, key: string): Promise<boolean> {
  if ((await store.size(`${key}/.zarray`)) !== undefined) return true;
  const v3 = await store.get(`${key}/zarr.json`);
  if (!v3) return false;
  try {
    return JSON.parse(new TextDecoder().decode(v3)).node_type === "array";
  } catch {
    return false;
  }
}
