import type { TypedArray } from "../array/dtype.js";
import { fromTypedArray, type MemoryArrayOptions } from "../array/memory-array.js";
import { readBox } from "../array/read-box.js";
import { describeGrid, nodeId, type SourceNode } from "../core/graph.js";
import { toEngineArray } from "../core/kernels/numeric.js";
import { unsupportedVariable, type Dataset, type Variable } from "../dataset/dataset.js";
import { openCachedDataset, registerMemorySource } from "../exec/sources.js";
import type { ChunkedArray } from "../array/chunked-array.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";

/** A dataset's variables as lazy arrays, by name, with the dataset's facts. */
export interface LazyDataset {
  /** Variables by name (coordinates included). */
  vars: Record<string, LazyArray>;
  dataset: Dataset;
}

/** Options of `openDataset`. */
export interface OpenOptions {
  /** Apply CF decoding (default true). */
  decode?: boolean;
  /**
   * Read a local Zarr store's large chunks past the page cache (O_DIRECT, where the optional
   * native part is built and the file system allows): for a store read once that is not in
   * the cache, like a rechunk's intermediate. Default false.
   */
  directReads?: boolean;
}

/**
 * Opens a file or store (Zarr, NetCDF-3, NetCDF-4/HDF5, GeoTIFF; path or URL) and returns
 * its variables as lazy arrays. Index coordinates (1-D variables named like their dim) are
 * read now — they are small, and `sel` needs them — everything else only when computed.
 *
 * @example
 * ```ts
 * const { vars } = await openDataset("../shared/fixtures/eraint_uvz.nc");
 * const z500 = vars.z.sel({ level: 500 });
 * ```
 */
export async function openDataset(
  pathOrUrl: string,
  options: OpenOptions = {},
): Promise<LazyDataset> {
  const decode = options.decode ?? true;
  const directReads = options.directReads === true;
  const dataset = await openCachedDataset(pathOrUrl, decode, directReads);
  const coords: Record<string, Coord> = {};
  for (const v of dataset.variables.values()) {
    if (v.dims.length !== 1 || v.dims[0] !== v.name) continue;
    const values = toEngineArray(await readBox(v.array, [0], [v.shape[0]]));
    coords[v.name] = {
      dim: v.name,
      values: Float64Array.from(values),
      attrs: v.attrs,
      ...(v.time ? { time: { calendar: v.time.calendar, units: v.time.units } } : {}),
    };
  }
  const vars: Record<string, LazyArray> = {};
  for (const v of dataset.variables.values())
    vars[v.name] = variableArray(
      pathOrUrl,
      v,
      { decode, ...(directReads ? { directReads } : {}) },
      coords,
    );
  // refused by name when used (not listed: Object.keys(vars) are the readable ones)
  for (const [name, what] of dataset.unsupported)
    if (!(name in vars))
      Object.defineProperty(vars, name, {
        enumerable: false,
        get() {
          throw unsupportedVariable(pathOrUrl, name, what);
        },
      });
  return { vars, dataset };
}

function variableArray(
  url: string,
  v: Variable,
  how: { decode: boolean; directReads?: boolean },
  coords: Record<string, Coord>,
): LazyArray {
  const spec: Omit<SourceNode, "id"> = {
    op: "source",
    ref: { kind: "dataset", url, variable: v.name, ...how },
    dims: [...v.dims],
    shape: [...v.shape],
    dtype: v.dtype,
    ...describeGrid(v.array.chunks),
  };
  return sourceArray(spec, v.name, v.attrs, coords);
}

function sourceArray(
  spec: Omit<SourceNode, "id">,
  name: string,
  attrs: Variable["attrs"],
  coords: Record<string, Coord>,
): LazyArray {
  const node = { ...spec, id: nodeId(spec) } as SourceNode;
  const kept: Record<string, Coord> = {};
  for (const d of node.dims) if (coords[d]) kept[d] = coords[d];
  return new LazyArray({ node, graph: { [node.id]: node } }, kept, attrs, name);
}

/**
 * A lazy array over any chunked array: one of yours (a custom format, a function that
 * computes chunks) or an in-memory typed array (`fromArray`). Custom arrays run on the
 * inline executor; typed arrays can be shared with worker threads.
 */
export function fromChunked(
  array: ChunkedArray,
  options: { name?: string; coords?: Record<string, Float64Array>; data?: TypedArray } = {},
): LazyArray {
  const key = registerMemorySource(array, options.data);
  const coords: Record<string, Coord> = {};
  for (const [dim, values] of Object.entries(options.coords ?? {}))
    coords[dim] = { dim, values, attrs: {} };
  const spec: Omit<SourceNode, "id"> = {
    op: "source",
    ref: { kind: "memory", key },
    dims: [...array.dims],
    shape: [...array.shape],
    dtype: array.dtype,
    ...describeGrid(array.chunks),
  };
  return sourceArray(spec, options.name ?? "data", array.attrs, coords);
}

/**
 * A lazy array over a C-order typed array, with dims and (optionally) chunks, as if it had
 * been read from a file chunked that way.
 *
 * @example
 * ```ts
 * const a = fromArray(new Float32Array(24).fill(1), { shape: [2, 3, 4], dims: ["t", "y", "x"], chunks: [1, 3, 2] });
 * const total = await a.sum().load(); // 24
 * ```
 */
export function fromArray(
  data: TypedArray,
  options: MemoryArrayOptions & { name?: string; coords?: Record<string, Float64Array> },
): LazyArray {
  const array = fromTypedArray(data, options);
  return fromChunked(array, { name: options.name, coords: options.coords, data });
}
