import { promises as fs, type Stats } from "node:fs";
import type { RawDataset } from "../formats/raw-dataset.js";
import {
  describeFormats,
  registeredFormats,
  type ArrayFormat,
  type FileFormat,
  type StoreFormat,
} from "../formats/registry.js";
import { FileSource, FsStore, ioError } from "../storage/fs-store.js";
import { HttpSource, HttpStore } from "../storage/http-store.js";
import { notRegularFile } from "../storage/regular-file.js";
import { S3Source } from "../storage/s3-source.js";
import { isS3Url, S3Store } from "../storage/s3-store.js";
import type { ByteSource, Store } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import { datasetFromRaw, type Dataset, type DatasetOptions } from "./dataset.js";

/**
 * Opens a Zarr store (directory or URL), NetCDF-3, NetCDF-4/HDF5 or GeoTIFF file as a
 * labelled dataset, CF-decoded unless `decode: false`. The format is detected from the
 * content (Zarr metadata, magic bytes), not from the name, among the registered formats
 * (`registerFormat` adds yours).
 *
 * @example
 * ```ts
 * const ds = await open("eraint_uvz.nc");
 * const z = getVariable(ds, "z"); // float64, decoded from packed int16
 * ```
 */
export async function open(pathOrUrl: string, options: DatasetOpenOptions = {}): Promise<Dataset> {
  return datasetFromRaw(await openRaw(pathOrUrl, options), options);
}

/** Options of `open`: CF decoding, and how a local Zarr store is read. */
export interface DatasetOpenOptions extends DatasetOptions {
  /** Read a local Zarr store's large chunks past the page cache (a store read once, not in the cache: a rechunk's intermediate). */
  directReads?: boolean;
}

/** Opens a file or store with the reader its content calls for, without CF decoding or labels. */
export async function openRaw(
  pathOrUrl: string,
  options: Pick<DatasetOpenOptions, "directReads"> = {},
): Promise<RawDataset> {
  const formats = await registeredFormats();
  if (/^https?:\/\//i.test(pathOrUrl))
    return openStoreOrFile(formats, new HttpStore(pathOrUrl), () => new HttpSource(pathOrUrl));
  if (isS3Url(pathOrUrl))
    return openStoreOrFile(formats, new S3Store(pathOrUrl), () => new S3Source(pathOrUrl));
  let stat: Stats;
  try {
    stat = await fs.stat(pathOrUrl);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new InputError(`no such file or directory: ${pathOrUrl}`);
    throw ioError(e, pathOrUrl);
  }
  // a FIFO or a device would block the open or never end: refused by name first
  const refused = notRegularFile(pathOrUrl, stat);
  if (refused) throw refused;
  const isDirectory = stat.isDirectory();
  if (isDirectory) {
    const store = new FsStore(pathOrUrl, false, options.directReads);
    const format = await detectStoreFormat(formats, store);
    if (format) return format.open(store);
    throw notAnArrayFile(pathOrUrl, formats);
  }
  return openFile(formats, new FileSource(pathOrUrl));
}

/** A URL (HTTP or S3) is a store (a Zarr prefix) or a file: the store formats are asked first. */
async function openStoreOrFile(
  formats: ArrayFormat[],
  store: Store,
  source: () => ByteSource,
): Promise<RawDataset> {
  const format = await detectStoreFormat(formats, store);
  return format ? format.open(store) : openFile(formats, source());
}

async function detectStoreFormat(
  formats: ArrayFormat[],
  store: Store,
): Promise<StoreFormat | undefined> {
  for (const f of formats) if (f.kind === "store" && (await f.detect(store))) return f;
  return undefined;
}

/** Opens a file with the format its first bytes name, closing it when that fails (a bad header must not leak the file). */
async function openFile(formats: ArrayFormat[], source: ByteSource): Promise<RawDataset> {
  try {
    const format = await detectFileFormat(source, formats);
    if (!format) throw notAnArrayFile(source.url, formats);
    return await format.open(source, source.url);
  } catch (e) {
    await source.close?.().catch(() => undefined);
    throw e;
  }
}

function notAnArrayFile(path: string, formats: readonly ArrayFormat[]): InputError {
  return new InputError(`${path}: not a ${describeFormats(formats)} file`);
}

/** The registered file format whose magic bytes `source` starts with, if any. */
export async function detectFileFormat(
  source: ByteSource,
  formats?: ArrayFormat[],
): Promise<FileFormat | undefined> {
  const size = await source.size();
  if (size < 4) return undefined;
  const head = await source.read(0, Math.min(size, 8));
  for (const f of formats ?? (await registeredFormats()))
    if (f.kind === "file" && (await f.sniff(head, source))) return f;
  return undefined;
}
