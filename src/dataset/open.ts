import { promises as fs, type Stats } from "node:fs";
import { openHdf5 } from "../formats/hdf5/index.js";
import { openNetcdf3 } from "../formats/netcdf3/index.js";
import type { RawDataset } from "../formats/raw-dataset.js";
import { isZarr, openZarr } from "../formats/zarr/index.js";
import { FileSource, FsStore, ioError } from "../storage/fs-store.js";
import { HttpSource, HttpStore } from "../storage/http-store.js";
import { notRegularFile } from "../storage/regular-file.js";
import { isS3Url, S3Store } from "../storage/s3-store.js";
import type { ByteSource } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import { datasetFromRaw, type Dataset, type DatasetOptions } from "./dataset.js";

/** geotiff.js takes most of a second to load: only commands that open a TIFF pay for it. */
async function openGeotiff(source: ByteSource): Promise<RawDataset> {
  return (await import("../formats/geotiff/index.js")).openGeotiff(source);
}

/** The formats `open` recognises in a file's first bytes. */
export type FileKind = "netcdf3" | "hdf5" | "geotiff";

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Opens a Zarr store (directory or URL), NetCDF-3, NetCDF-4/HDF5 or GeoTIFF file as a
 * labelled dataset, CF-decoded unless `decode: false`. The format is detected from the
 * content (Zarr metadata, magic bytes), not from the name.
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
  if (/^https?:\/\//i.test(pathOrUrl)) return openUrl(pathOrUrl);
  if (isS3Url(pathOrUrl)) return openS3(pathOrUrl);
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
    if (await isZarr(store)) return openZarr(store);
    throw notAnArrayFile(pathOrUrl);
  }
  const source = new FileSource(pathOrUrl);
  const kind = await sniffFile(source);
  switch (kind) {
    case "netcdf3":
      return closedOnError(source, openNetcdf3);
    case "geotiff":
      return closedOnError(source, openGeotiff);
    case "hdf5":
      await source.close();
      return openHdf5(pathOrUrl);
    default:
      await source.close();
      throw notAnArrayFile(pathOrUrl);
  }
}

async function openUrl(url: string): Promise<RawDataset> {
  const store = new HttpStore(url);
  if (await isZarr(store)) return openZarr(store);
  const source = new HttpSource(url);
  const kind = await sniffFile(source);
  switch (kind) {
    case "netcdf3":
      return closedOnError(source, openNetcdf3);
    case "geotiff":
      return closedOnError(source, openGeotiff);
    case "hdf5":
      throw new InputError(
        `${url}: NetCDF-4/HDF5 is read from local files only; download it first`,
      );
    default:
      throw notAnArrayFile(url);
  }
}

/** Zarr stores in S3 (`s3://bucket/prefix`; endpoint from `DAE_S3_ENDPOINT` / `AWS_ENDPOINT_URL`). */
async function openS3(url: string): Promise<RawDataset> {
  const store = new S3Store(url);
  if (await isZarr(store)) return openZarr(store);
  throw new InputError(`${url}: not a Zarr store (only Zarr is read from S3)`);
}

/** Opens `source` with `open`, closing it when that fails (a bad header must not leak the file). */
async function closedOnError(
  source: ByteSource,
  open: (s: ByteSource) => Promise<RawDataset>,
): Promise<RawDataset> {
  try {
    return await open(source);
  } catch (e) {
    await source.close?.().catch(() => undefined);
    throw e;
  }
}

function notAnArrayFile(path: string): InputError {
  return new InputError(`${path}: not a Zarr store, NetCDF, HDF5 or GeoTIFF file`);
}

/**
 * The format of a file from its magic bytes: `CDF\x01`/`\x02`/`\x05` (NetCDF-3 classic,
 * 64-bit offset, CDF-5), the HDF5 signature (at byte 0, or 512, 1024, 2048... after a user
 * block), `II*\0`/`MM\0*` (TIFF) or `II+\0`/`MM\0+` (BigTIFF).
 */
export async function sniffFile(source: ByteSource): Promise<FileKind | undefined> {
  const size = await source.size();
  if (size < 4) return undefined;
  const head = await source.read(0, Math.min(size, 8));
  const is = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (is(0x43, 0x44, 0x46) && [1, 2, 5].includes(head[3])) return "netcdf3";
  if (
    is(0x49, 0x49, 0x2a, 0) ||
    is(0x4d, 0x4d, 0, 0x2a) ||
    is(0x49, 0x49, 0x2b, 0) ||
    is(0x4d, 0x4d, 0, 0x2b)
  )
    return "geotiff";
  for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
    const bytes = offset === 0 ? head : await source.read(offset, 8);
    if (HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) return "hdf5";
  }
  return undefined;
}
