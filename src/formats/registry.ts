import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ByteSource, Store } from "../storage/store.js";
import type { RawDataset } from "./raw-dataset.js";

/**
 * A format read from one file (NetCDF, HDF5, TIFF): recognised by its first bytes, opened
 * from a byte source.
 */
export interface FileFormat {
  readonly kind: "file";
  /** A short name, unique among formats (`netcdf3`); registering a name again replaces it. */
  readonly name: string;
  /** How messages name it (`NetCDF-3`). */
  readonly title: string;
  /** Whether a file whose first bytes are `head` (8, or fewer in a shorter file) is of this format; may read more of `source`. */
  sniff(head: Uint8Array, source: ByteSource): boolean | Promise<boolean>;
  /**
   * Opens the file. `source` reads it (the caller closes it if this throws); `location` is its
   * local path or URL, for readers that need the file itself.
   */
  open(source: ByteSource, location: string): Promise<RawDataset>;
}

/** A format laid out as keys under a root (Zarr): recognised by its keys, opened from a store. */
export interface StoreFormat {
  readonly kind: "store";
  readonly name: string;
  readonly title: string;
  /** Whether `store`'s root holds this format. */
  detect(store: Store): Promise<boolean>;
  open(store: Store): Promise<RawDataset>;
}

/** What `open` can read: the built-in formats (one folder each in src/formats) and yours. */
export type ArrayFormat = FileFormat | StoreFormat;

const userFormats: ArrayFormat[] = [];
let builtins: Promise<ArrayFormat[]> | undefined;

/**
 * Adds a format for `open`, `openDataset` and every `dae` command to recognise, before the
 * built-in ones (a format of the same name replaces the one registered before).
 *
 * @example
 * ```ts
 * registerFormat({
 *   kind: "file",
 *   name: "npy",
 *   title: "NumPy .npy",
 *   sniff: (head) => head[0] === 0x93 && String.fromCharCode(...head.subarray(1, 6)) === "NUMPY",
 *   open: async (source, location) => readNpy(source, location), // your RawDataset
 * });
 * const ds = await openDataset("field.npy");
 * ```
 */
export function registerFormat(format: ArrayFormat): void {
  const i = userFormats.findIndex((f) => f.name === format.name);
  if (i >= 0) userFormats.splice(i, 1);
  userFormats.unshift(format);
}

/** The formats to try, yours first, then the built-in ones in name order. */
export async function registeredFormats(): Promise<ArrayFormat[]> {
  builtins ??= loadBuiltins();
  const names = new Set(userFormats.map((f) => f.name));
  return [...userFormats, ...(await builtins).filter((f) => !names.has(f.name))];
}

/**
 * The built-in formats: every folder beside this file with a `format` module exporting
 * `format`. Adding a format touches its own folder only.
 */
async function loadBuiltins(): Promise<ArrayFormat[]> {
  const self = fileURLToPath(import.meta.url);
  const here = path.dirname(self);
  const name = `format${path.extname(self)}`; // .js built, .ts from the sources
  const folders = readdirSync(here, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(here, e.name, name)))
    .map((e) => e.name)
    .sort();
  const modules = (await Promise.all(
    folders.map((f) => import(pathToFileURL(path.join(here, f, name)).href)),
  )) as { format?: ArrayFormat }[];
  return modules.flatMap((m) => (m.format ? [m.format] : []));
}

/** How messages list what can be read: "Zarr store, GeoTIFF, NetCDF-4/HDF5 or NetCDF-3" (stores first). */
export function describeFormats(formats: readonly ArrayFormat[]): string {
  const titles = [
    ...formats.filter((f) => f.kind === "store"),
    ...formats.filter((f) => f.kind === "file"),
  ].map((f) => f.title);
  return titles.length > 1
    ? `${titles.slice(0, -1).join(", ")} or ${titles[titles.length - 1]}`
    : (titles[0] ?? "no format");
}
