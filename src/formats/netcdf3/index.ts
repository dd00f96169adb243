import type { ChunkedArray } from "../../array/chunked-array.js";
import { ChunkGrid } from "../../array/chunk-grid.js";
import type { ByteSource } from "../../storage/store.js";
import { DaeError, FormatError } from "../../util/errors.js";
import type { RawDataset } from "../raw-dataset.js";
import { fillValueFromAttr } from "../../array/fill-value-attr.js";
import { readNetcdf3Header } from "./header.js";
import { nc3Layouts, type Nc3Layout } from "./layout.js";
import { readStridedBox } from "./strided-read.js";

const FORMATS = {
  1: "netcdf3-classic",
  2: "netcdf3-64bit-offset",
  5: "netcdf3-64bit-data",
} as const;

/** Options for `openNetcdf3`. */
export interface Netcdf3Options {
  /** Target bytes of a virtual chunk (default `VIRTUAL_CHUNK_BYTES`, 4 MiB). */
  virtualChunkBytes?: number;
}

/**
 * Opens a NetCDF-3 file (classic, 64-bit offset or CDF-5) with positioned reads: the header
 * first, then only the bytes a chunk or box needs. Every variable is a chunked array over a
 * virtual grid of contiguous byte ranges (see `nc3ChunkShape`); `char` variables are exposed
 * as `uint8` (one byte per character, `encoding.ncType` says `char`).
 *
 * @example
 * ```ts
 * const ds = await openNetcdf3(new FileSource("eraint_uvz.nc"));
 * const z = ds.variables.get("z")!; // int16, dims [month, level, latitude, longitude]
 * const firstMap = await readBox(z, [0, 0, 0, 0], [1, 1, 241, 480]);
 * await ds.close?.();
 * ```
 */
export async function openNetcdf3(
  source: ByteSource,
  options: Netcdf3Options = {},
): Promise<RawDataset> {
  const header = await readNetcdf3Header(source);
  const layouts = nc3Layouts(header, await source.size(), source.url, options.virtualChunkBytes);
  const format = FORMATS[header.version];
  const variables = new Map<string, ChunkedArray>();
  for (const v of header.vars) {
    const layout = layouts.get(v.name)!;
    variables.set(v.name, nc3Array(source, `${source.url}:${v.name}`, layout, v.attrs, format));
  }
  return {
    format,
    source: source.url,
    variables,
    attrs: header.attrs,
    close: async () => source.close?.(),
  };
}

/** One variable as a chunked array. */
function nc3Array(
  source: ByteSource,
  name: string,
  layout: Nc3Layout,
  attrs: ChunkedArray["attrs"],
  format: string,
): ChunkedArray {
  const chunks = ChunkGrid.regular(layout.shape, layout.chunkShape);
  const read = async (start: readonly number[], stop: readonly number[], where: string) => {
    try {
      return await readStridedBox(source, layout, start, stop);
    } catch (e) {
      if (e instanceof DaeError)
        throw new FormatError(`${name}: ${where}: ${e.message}`, { cause: e });
      throw e;
    }
  };
  return {
    source: name,
    shape: layout.shape,
    dtype: layout.type.dtype,
    dims: layout.dims,
    chunks,
    fillValue: fillValueFromAttr(attrs._FillValue, layout.type.dtype),
    attrs,
    encoding: {
      format,
      ncType: layout.type.name,
      layout: layout.recordStride === undefined ? "contiguous" : "record",
      offset: layout.begin,
      ...(layout.recordStride === undefined ? {} : { recordStride: layout.recordStride }),
      compressor: "none",
      byteOrder: "big",
      order: "C",
    },
    async readChunk(coords) {
      chunks.checkCoords(coords, name);
      const { start, stop } = chunks.chunkBox(coords);
      return read(start, stop, `chunk [${coords}]`);
    },
    async readRegion(start, stop) {
      return read(start, stop, `box [${start}]..[${stop}]`);
    },
  };
}
