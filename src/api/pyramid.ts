import path from "node:path";
import type { Attrs, AttrValue } from "../array/chunked-array.js";
import { itemSize } from "../array/dtype.js";
import { prepareZarrTarget, releaseTarget } from "../dataset/zarr-target.js";
import { inputLocations } from "../exec/sources.js";
import { consolidateMetadata, createZarrGroup } from "../formats/zarr/index.js";
import { InputError } from "../util/errors.js";
import { toZarr, type RunReport, type ToZarrOptions } from "./compute.js";
import type { LazyArray } from "./lazy-array.js";
import { openDataset } from "./open-dataset.js";
import { slice } from "./selection.js";

/** How a level is made from the one before: block mean, most frequent value (categories), or every other pixel. */
export type PyramidMethod = "mean" | "mode" | "nearest";

/** Options of `writePyramid`. */
export interface PyramidOptions extends Omit<ToZarrOptions, "overwrite"> {
  /** Number of levels, the full-resolution one included (level k is coarsened by 2^k). */
  levels: number;
  /** Default `mean`. */
  method?: PyramidMethod;
  /** The two spatial dims, y then x (default: y/x or lat/lon by name, else the last two). */
  dims?: [string, string];
  /** Chunk size along each spatial dim, pixels per tile (default 256). */
  tileSize?: number;
  /** Replace an existing Zarr store at the target (default: refuse). */
  overwrite?: boolean;
  /** Called when a level is written. */
  onLevel?: (level: PyramidLevel) => void;
}

/** One written level. */
export interface PyramidLevel {
  level: number;
  /** The level's group, relative to the store (`"0"`, `"1"`...). */
  path: string;
  /** Sizes of the spatial dims, y then x. */
  size: [number, number];
  run: RunReport;
}

const SPATIAL_PAIRS: [RegExp, RegExp][] = [
  [/^y$/i, /^x$/i],
  [/^(lat|latitude|rlat|nav_lat)$/i, /^(lon|long|longitude|rlon|nav_lon)$/i],
];

/** The spatial dims of an array, y then x: y/x or lat/lon by name, else its last two dims. */
export function spatialDims(a: LazyArray): [string, string] {
  for (const [ys, xs] of SPATIAL_PAIRS) {
    const y = a.dims.find((d) => ys.test(d));
    const x = a.dims.find((d) => xs.test(d));
    if (y && x) return [y, x];
  }
  if (a.ndim < 2)
    throw new InputError(
      `pyramid: ${a.name} has ${a.ndim} dimension(s); a pyramid needs two spatial ones`,
    );
  return [a.dims[a.ndim - 2], a.dims[a.ndim - 1]];
}

/**
 * `a` at half resolution along dims `y` and `x`: 2 × 2 block means or modes (a short last
 * block at an odd edge takes what it has, like xarray's `coarsen(boundary="pad")` skipping
 * NaN), or every other pixel starting with the first (`nearest`). Lazy, like every method.
 */
export function downsample(
  a: LazyArray,
  [y, x]: [string, string],
  method: PyramidMethod,
): LazyArray {
  if (method === "nearest") return a.isel({ [y]: slice(null, null, 2), [x]: slice(null, null, 2) });
  const blocks = a.coarsen({ [y]: 2, [x]: 2 }, { boundary: "pad" });
  if (method === "mean") return blocks.mean();
  if (method === "mode") return blocks.reduce("mode");
  throw new InputError(`pyramid: unknown method "${String(method)}" (known: mean, mode, nearest)`);
}

/** Output chunks of a level: tiles along the spatial dims, about 1 MB in all. */
function levelChunks(a: LazyArray, [y, x]: [string, string], tile: number): Record<string, number> {
  const chunks: Record<string, number> = {
    [y]: Math.min(tile, a.sizeOf(y)),
    [x]: Math.min(tile, a.sizeOf(x)),
  };
  let room = Math.max(1, Math.floor((1 << 20) / (chunks[y] * chunks[x] * itemSize(a.dtype))));
  for (const d of a.dims) {
    if (d === y || d === x) continue;
    chunks[d] = Math.max(1, Math.min(room, a.sizeOf(d)));
    room = Math.max(1, Math.floor(room / chunks[d]));
  }
  return chunks;
}

/** The OME-Zarr v0.4 `multiscales` entry of one variable. */
export function multiscalesEntry(
  a: LazyArray,
  [y, x]: [string, string],
  levels: number,
  method: PyramidMethod,
): Attrs {
  const axes = a.dims.map((d): AttrValue => {
    if (d === y || d === x) return { name: d, type: "space" };
    return a.coords[d]?.time ? { name: d, type: "time" } : { name: d };
  });
  const datasets = Array.from({ length: levels }, (_, k): AttrValue => {
    const factor = 2 ** k;
    // a block's value stands at the block's centre; `nearest` keeps the first pixel's place
    const shift = method === "nearest" ? 0 : (factor - 1) / 2;
    const spatial = (d: string) => d === y || d === x;
    return {
      path: String(k),
      coordinateTransformations: [
        { type: "scale", scale: a.dims.map((d) => (spatial(d) ? factor : 1)) },
        { type: "translation", translation: a.dims.map((d) => (spatial(d) ? shift : 0)) },
      ],
    };
  });
  return {
    version: "0.4",
    name: a.name,
    axes,
    datasets,
    type: method,
    metadata: { method: `dae pyramid --method ${method}`, variable: a.name, dims: [y, x] },
  };
}

/**
 * Writes a multiscale pyramid of `arrays` to a Zarr store: groups `0`, `1`, … `levels-1`, each
 * holding every array (and its coordinates) at half the previous level's resolution along the
 * spatial dims, chunked in tiles; the root carries OME-Zarr v0.4 `multiscales` metadata (one
 * entry per array) listing the levels, finest first, with their scale and translation in
 * level-0 pixels. Level k+1 is computed from level k as written, through the engine, so memory
 * stays bounded whatever the size. The root's metadata is written last: an interrupted run
 * leaves a store without `multiscales`.
 *
 * @example
 * ```ts
 * const { vars } = await openDataset("basin_mask.nc");
 * await writePyramid([vars.basin], "basins.zarr", { levels: 4, method: "mode" });
 * ```
 */
export async function writePyramid(
  arrays: LazyArray[],
  target: string,
  options: PyramidOptions,
): Promise<PyramidLevel[]> {
  const { levels, method = "mean", tileSize = 256 } = options;
  const zarrFormat = options.zarrFormat ?? 3;
  if (arrays.length === 0) throw new InputError("pyramid: no variables to write");
  if (!(Number.isInteger(tileSize) && tileSize >= 1))
    throw new InputError(`pyramid: tile size ${tileSize} must be a positive integer`);
  const dims = options.dims ?? spatialDims(arrays[0]);
  for (const a of arrays) for (const d of dims) a.sizeOf(d);
  const largest = Math.max(...arrays.flatMap((a) => dims.map((d) => a.sizeOf(d))));
  const most = Math.ceil(Math.log2(Math.max(largest, 1))) + 1;
  if (!(Number.isInteger(levels) && levels >= 1 && levels <= most))
    throw new InputError(
      `pyramid: --levels must be a whole number from 1 to ${most} for a ${dims.map((d) => arrays[0].sizeOf(d)).join(" × ")} grid, got ${levels}`,
    );
  if (!["mean", "mode", "nearest"].includes(method))
    throw new InputError(`pyramid: unknown method "${method}" (known: mean, mode, nearest)`);
  const inputs = arrays.flatMap((a) => inputLocations(a.built.graph));
  const prepared = await prepareZarrTarget(target, options.overwrite ?? false, inputs, {
    onNote: options.onNote,
  });
  const { store } = prepared;
  const written: PyramidLevel[] = [];
  try {
    // the root is a plain group until every level is written
    await createZarrGroup(store, "", {}, zarrFormat);
    let current = arrays;
    for (let k = 0; k < levels; k++) {
      if (k > 0) {
        const { vars } = await openDataset(path.join(target, String(k - 1)));
        current = current.map((a) => downsample(vars[a.name], dims, method));
      }
      const chunked = current.map((a) => a.rechunk(levelChunks(a, dims, tileSize)));
      const run = await toZarr(chunked, path.join(target, String(k)), {
        ...options,
        zarrFormat,
        overwrite: false,
      });
      const level: PyramidLevel = {
        level: k,
        path: String(k),
        size: [chunked[0].sizeOf(dims[0]), chunked[0].sizeOf(dims[1])],
        run,
      };
      written.push(level);
      options.onLevel?.(level);
    }
    await createZarrGroup(
      store,
      "",
      { multiscales: arrays.map((a) => multiscalesEntry(a, dims, levels, method)) },
      zarrFormat,
    );
    await consolidateMetadata(store, "", zarrFormat);
  } catch (e) {
    await prepared.lock.release();
    throw e;
  }
  await releaseTarget(prepared);
  return written;
}
