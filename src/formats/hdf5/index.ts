import { promises as fs } from "node:fs";
import path from "node:path";
import type { Dataset, Group } from "h5wasm/node";
import type { Attrs, ChunkedArray } from "../../array/chunked-array.js";
import { ChunkGrid } from "../../array/chunk-grid.js";
import { contiguousChunkShape } from "../../array/contiguous-chunks.js";
import type { DType } from "../../array/dtype.js";
import { ioError } from "../../storage/fs-store.js";
import { notRegularFile } from "../../storage/regular-file.js";
import { DaeError, FormatError, InputError } from "../../util/errors.js";
import { fillValueFromAttr } from "../../array/fill-value-attr.js";
import type { RawDataset } from "../raw-dataset.js";
import { isDimensionScale, plainAttrs } from "./attributes.js";
import { baseName, dimensionNames, type DatasetEntry } from "./dimensions.js";
import { describeType, dtypeOf } from "./dtype.js";
import { readChunkIndex } from "./chunk-index.js";
import {
  canReadDirectly,
  deflateGuard,
  directChunkReader,
  type DirectChunkRead,
} from "./direct-chunks.js";
import { hdf5Encoding, missingFilter } from "./encoding.js";
import { hdf5Error, loadH5wasm, type H5 } from "./h5wasm-module.js";
import { readHyperslab } from "./hyperslab.js";
import { probeHdf5 } from "./metadata-probe.js";

/** What the netCDF library writes in the NAME of a dimension that has no variable. */
const DIMENSION_ONLY = "This is a netCDF dimension but not a netCDF variable";
/** netCDF-4 renames a variable that has a dimension's name but not its shape. */
const NON_COORD_PREFIX = "_nc4_non_coord_";

/** Options of {@link openHdf5}. */
export interface OpenHdf5Options {
  /** How long reading the metadata may take before the file counts as corrupted (default 60 s). */
  metadataDeadlineMs?: number;
  /**
   * Read chunks straight from the file, with native inflate, where the dataset's chunk index
   * and filters allow it (default true); false: every read goes through HDF5.
   */
  directChunks?: boolean;
}

/**
 * Opens a NetCDF-4 or HDF5 file with h5wasm. Every numeric dataset (in nested groups too, by
 * path such as `grp/var`) is a chunked array on the dataset's own chunk grid (contiguous
 * datasets get a virtual grid of contiguous slabs of a few MB), read by hyperslab; HDF5
 * decompresses. Chunks of datasets filtered by deflate and shuffle only, with the chunk index
 * netCDF-4 and h5py write by default, are read from the file directly and inflated by Node's
 * zlib instead (`directChunks`; see `readChunkIndex`). Dimensions follow netCDF-4: dimension
 * scale names, `phony_dim_N` otherwise.
 * Strings, compounds and other non-numeric datasets are left out.
 *
 * h5wasm is synchronous: reads block the thread for the duration of one hyperslab. The
 * metadata is read once in a helper thread with a deadline first (`probeHdf5`): a corrupted
 * file is an error naming it, not a hang.
 *
 * @example
 * ```ts
 * const ds = await openHdf5("eraint_uvz_nc4.nc");
 * const z = ds.variables.get("z")!; // chunks [1, 1, 121, 240], encoding.compressor "zlib"
 * await ds.close?.();
 * ```
 */
export async function openHdf5(
  filePath: string,
  options: OpenHdf5Options = {},
): Promise<RawDataset> {
  const file = path.resolve(filePath);
  const stat = await fs.stat(file).catch((e) => {
    throw ioError(e, filePath);
  });
  if (stat.isDirectory()) throw new InputError(`${filePath}: is a directory, not an HDF5 file`);
  const refused = notRegularFile(filePath, stat);
  if (refused) throw refused;
  const loading = loadH5wasm();
  await probeHdf5(filePath, options.metadataDeadlineMs);
  const h5 = await loading;
  let f: InstanceType<H5["lib"]["File"]>;
  try {
    f = new h5.lib.File(file, "r");
  } catch (e) {
    throw hdf5Error(e, filePath);
  }
  try {
    return describe(h5, f, filePath, options.directChunks ?? true);
  } catch (e) {
    f.close();
    throw e instanceof DaeError ? e : hdf5Error(e, filePath);
  }
}

function describe(
  h5: H5,
  f: InstanceType<H5["lib"]["File"]>,
  filePath: string,
  directChunks: boolean,
): RawDataset {
  const entries: DatasetEntry[] = [];
  const walk = (group: Group) => {
    for (const name of group.keys()) {
      const child = group.get(name);
      if (child instanceof h5.lib.Group) walk(child);
      else if (child instanceof h5.lib.Dataset && child.shape) {
        const attrs = child.attrs;
        entries.push({
          dataset: child,
          path: child.path,
          shape: child.shape,
          attrs,
          isScale: isDimensionScale(attrs),
        });
      }
    }
  };
  walk(f);
  const dimOnly = (e: DatasetEntry) =>
    e.isScale && String(e.attrs.NAME?.value ?? "").startsWith(DIMENSION_ONLY);
  const attrs = plainAttrs(f.attrs, false);
  const isNetcdf4 =
    "_NCProperties" in f.attrs ||
    entries.some(
      (e) => dimOnly(e) || "_Netcdf4Dimid" in e.attrs || "_Netcdf4Coordinates" in e.attrs,
    );
  const format = isNetcdf4 ? "netcdf4" : "hdf5";
  const dims = dimensionNames(entries, (ref) => {
    const target = f.dereference(ref);
    return target && "path" in target ? (target.path as string) : undefined;
  });

  let closed = false;
  const closers: (() => Promise<void>)[] = [];
  const variables = new Map<string, ChunkedArray>();
  const unsupported = new Map<string, string>();
  for (const e of entries) {
    if (dimOnly(e)) continue;
    const dir = path.posix.dirname(e.path).slice(1);
    const name = baseName(e.path).replace(new RegExp(`^${NON_COORD_PREFIX}`), "");
    const key = dir ? `${dir}/${name}` : name;
    const meta = e.dataset.metadata;
    const dtype = dtypeOf(meta);
    if (dtype === undefined) {
      unsupported.set(key, `${describeType(meta)} dataset of shape [${e.shape.join(", ")}]`);
      continue;
    }
    variables.set(
      key,
      datasetArray(h5, f.file_id, e, {
        source: `${filePath}:${key}`,
        dtype,
        dims: dims.get(e.path)!,
        attrs: plainAttrs(e.attrs, e.isScale),
        format,
        isClosed: () => closed,
        file: directChunks ? path.resolve(filePath) : undefined,
        onClose: (close) => closers.push(close),
      }),
    );
  }
  return {
    format,
    source: filePath,
    variables,
    unsupported,
    attrs,
    close: async () => {
      if (closed) return;
      closed = true;
      f.close();
      await Promise.all(closers.map((close) => close()));
    },
  };
}

interface ArrayFacts {
  source: string;
  dtype: DType;
  dims: string[];
  attrs: Attrs;
  format: string;
  isClosed: () => boolean;
  /** The file, where its chunks may be read directly. */
  file?: string;
  /** Registers what closing the dataset must also close. */
  onClose: (close: () => Promise<void>) => void;
}

/** HDF5's deflate filter id. */
const DEFLATE_FILTER = 1;

/** One dataset as a chunked array read by hyperslab. */
function datasetArray(
  h5: H5,
  fileId: bigint,
  entry: DatasetEntry,
  facts: ArrayFacts,
): ChunkedArray {
  const { source, dtype } = facts;
  const dataset: Dataset = entry.dataset;
  const meta = dataset.metadata;
  const shape = [...entry.shape];
  const chunks = ChunkGrid.regular(shape, meta.chunks ?? contiguousChunkShape(shape, meta.size));
  const filters = dataset.filters;
  const missing = missingFilter(filters);
  const read = (start: readonly number[], stop: readonly number[], where: string) => {
    if (facts.isClosed()) throw new DaeError(`${source}: the file is closed`);
    if (missing)
      throw new FormatError(
        `${source}: compressed with HDF5 ${missing}, which this reader does not have; recompress it (h5repack -f GZIP=4 or nccopy -d4)`,
      );
    try {
      return readHyperslab(
        h5.module,
        fileId,
        entry.path,
        dtype,
        meta.size,
        start,
        stop,
        `${source}: ${where}`,
      );
    } catch (e) {
      throw e instanceof DaeError ? e : hdf5Error(e, `${source}: ${where}`);
    }
  };
  const filterIds = filters.map((f) => f.id);
  // the direct reader and the deflate guard, made on the first chunk read (in each thread)
  let access:
    { read?: DirectChunkRead; guard?: (coords: readonly number[]) => Promise<void> } | undefined;
  const chunkAccess = () => {
    if (access) return access;
    access = {};
    const readable = canReadDirectly(dtype, meta.littleEndian, filterIds);
    if (!facts.file || !meta.chunks || !(readable || filterIds.includes(DEFLATE_FILTER)))
      return access;
    const index = readChunkIndex(facts.file, entry.path, shape);
    if (!index || index.elementSize !== meta.size || index.chunkShape.join() !== meta.chunks.join())
      return access;
    const found = { file: facts.file, source, filters: filterIds, index };
    if (readable) {
      const reader = directChunkReader({ ...found, dtype, grid: chunks });
      facts.onClose(reader.close);
      access.read = reader.read;
    }
    const guard = deflateGuard(found);
    if (guard) {
      facts.onClose(guard.close);
      access.guard = guard.check;
    }
    return access;
  };
  return {
    source,
    shape,
    dtype,
    dims: facts.dims,
    chunks,
    fillValue: fillValueFromAttr(facts.attrs._FillValue, dtype),
    attrs: facts.attrs,
    encoding: hdf5Encoding(facts.format, meta.chunks, filters),
    async readChunk(coords) {
      chunks.checkCoords(coords, source);
      if (facts.isClosed()) throw new DaeError(`${source}: the file is closed`);
      const { read: direct, guard } = chunkAccess();
      const data = await direct?.(coords);
      if (data) return data;
      await guard?.(coords);
      const { start, stop } = chunks.chunkBox(coords);
      return read(start, stop, `chunk [${coords}]`);
    },
    async readRegion(start, stop) {
      const { guard } = chunkAccess();
      if (guard) for (const coords of chunks.overlapping(start, stop)) await guard(coords);
      return read(start, stop, `box [${start}]..[${stop}]`);
    },
  };
}
