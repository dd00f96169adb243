import { promises as fs } from "node:fs";
import path from "node:path";
import type { Attrs } from "../array/chunked-array.js";
import { consolidateMetadata, createZarrGroup, isZarr } from "../formats/zarr/index.js";
import { FsStore, ioError } from "../storage/fs-store.js";
import type { Store } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import { refuseOverlap } from "./output-overlap.js";

/**
 * The store to write a dataset to. A target that is, contains or lies inside one of
 * `inputs` (where the data written is read from) is refused (`refuseOverlap`). An existing
 * target is refused unless `overwrite`; then it is emptied, but only if it looks like a Zarr
 * store (complete or partly written), so a typo cannot wipe an unrelated directory.
 */
export async function prepareZarrTarget(
  target: Store | string,
  overwrite: boolean,
  inputs: readonly string[],
): Promise<Store> {
  await refuseOverlap(typeof target === "string" ? target : target.url, inputs);
  if (typeof target !== "string") {
    const entries = await target.list("");
    if (entries.length === 0) return target;
    if (!overwrite)
      throw new InputError(`${target.url}: already exists (overwrite it with --overwrite)`);
    if (!(await looksLikeZarr(target)))
      throw new InputError(`${target.url}: exists and is not a Zarr store; refusing to replace it`);
    for (const entry of entries) await target.delete(entry);
    return target;
  }
  const exists = await fs.stat(target).then(
    () => true,
    () => false,
  );
  const empty =
    exists &&
    (await fs.readdir(target).then(
      (names) => names.length === 0,
      () => false,
    ));
  if (exists && !empty) {
    if (!overwrite)
      throw new InputError(`${target}: already exists (overwrite it with --overwrite)`);
    const isDir = (await fs.stat(target)).isDirectory();
    if (!isDir || !(await looksLikeZarr(new FsStore(target))))
      throw new InputError(`${target}: exists and is not a Zarr store; refusing to replace it`);
    await fs.rm(target, { recursive: true, force: true }).catch((e) => {
      throw ioError(e, target);
    });
  }
  await fs.mkdir(path.resolve(target), { recursive: true }).catch((e) => {
    throw ioError(e, target);
  });
  return new FsStore(target, true);
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
  const entries = await store.list("");
  if (entries.length === 0) return false;
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
