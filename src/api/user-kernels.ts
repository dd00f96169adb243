import { existsSync } from "node:fs";
import path from "node:path";
import { isDType, type DType } from "../array/dtype.js";
import type { WindowAxis } from "../core/graph.js";
import { InputError } from "../util/errors.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

export type { KernelArray, KernelWindowInput, KernelResult } from "../core/kernels/user-kernels.js";

/** Options of a user kernel call. */
export interface KernelOptions {
  /** Slice dims (mapSlices): the kernel gets whole slices along these. Absent: mapBlocks. */
  dims?: readonly string[];
  /** Dims of each result slice (default none: one value per slice); input dims keep their length. */
  outDims?: readonly string[];
  /** Lengths of new `outDims`. */
  outSizes?: Readonly<Record<string, number>>;
  /** Result dtype (default: the first input's). */
  dtype?: string;
}

/** A kernel module path as the plan carries it: absolute, and a file that exists. */
function modulePath(file: string): string {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new InputError(`kernel module ${file} does not exist`);
  return abs;
}

function dtypeOf(dtype: string | undefined, fallback: DType): DType {
  if (dtype === undefined) return fallback;
  if (!isDType(dtype)) throw new InputError(`kernel: unknown dtype "${dtype}"`);
  return dtype;
}

/**
 * Runs `name`, exported by the module file `file`, on each block of `arrays` (as dask's
 * map_blocks): it gets `(inputs: KernelArray[], output: {dims, shape})` — each input's block
 * (values in C order, shape, dims) for the output block — and returns the output block's
 * values. The result has the inputs' dims (broadcast by name). Runs in the worker threads:
 * the plan carries the module's path and the function's name, never code.
 *
 * @example
 * ```ts
 * // kernels.mjs: export function scale([a]) { return a.data.map((x) => x * 2); }
 * const doubled = mapBlocks([t], "./kernels.mjs", "scale");
 * ```
 */
export function mapBlocks(
  arrays: LazyArray | LazyArray[],
  file: string,
  name: string,
  options: Pick<KernelOptions, "dtype"> = {},
): LazyArray {
  const list = Array.isArray(arrays) ? arrays : [arrays];
  if (list.length === 0) throw new InputError("mapBlocks: give at least one array");
  const dims: string[] = [];
  const shape: number[] = [];
  const coords: Record<string, Coord> = {};
  for (const a of list)
    a.dims.forEach((d, i) => {
      const at = dims.indexOf(d);
      if (at < 0) {
        dims.push(d);
        shape.push(a.shape[i]);
        if (a.coords[d]) coords[d] = a.coords[d];
      } else if (shape[at] !== a.shape[i])
        throw new InputError(
          `mapBlocks: dimension "${d}" has size ${shape[at]} in one input but ${a.shape[i]} in ${a.name}`,
        );
    });
  const built = buildWindow(
    "user",
    list.map((a) => ({ built: a.built, windows: {} })),
    dims,
    shape,
    dtypeOf(options.dtype, list[0].dtype),
    { fn: name, mode: "blocks", module: modulePath(file), name },
  );
  return new LazyArray(built, coords, {}, list[0].name);
}

/**
 * Runs `name` from the module file `file` on whole slices of `array` along `options.dims`
 * (as xarray's apply_ufunc with core dims, or numpy's apply_along_axis): e.g. a per-pixel
 * trend over time. The kernel gets many slices at once, `{data, shape: [n, ...sliceShape],
 * dims}`, and returns `[n, ...outSliceShape]` values; the result has the other dims, then
 * `outDims`.
 *
 * @example
 * ```ts
 * // kernels.mjs: export function trend({ data, shape: [n, T] }) { ... return slopes; }
 * const slope = mapSlices(t, "./kernels.mjs", "trend", { dims: ["time"] });
 * ```
 */
export function mapSlices(
  array: LazyArray,
  file: string,
  name: string,
  options: KernelOptions,
): LazyArray {
  const sliceDims = [...(options.dims ?? [])];
  if (sliceDims.length === 0) throw new InputError("mapSlices: give the slice dims (dims: [...])");
  for (const d of sliceDims) array.sizeOf(d);
  const outSliceDims = [...(options.outDims ?? [])];
  const outSliceSizes: Record<string, number> = {};
  for (const d of outSliceDims) {
    const n = options.outSizes?.[d] ?? (array.dims.includes(d) ? array.sizeOf(d) : undefined);
    if (!(Number.isInteger(n) && n! >= 0))
      throw new InputError(`mapSlices: give the length of new output dimension "${d}" (outSizes)`);
    outSliceSizes[d] = n!;
  }
  const kept = array.dims.filter((d) => !sliceDims.includes(d));
  for (const d of outSliceDims)
    if (kept.includes(d))
      throw new InputError(`mapSlices: output dimension "${d}" is also a kept dimension`);
  const windows: Record<string, WindowAxis> = Object.fromEntries(sliceDims.map((d) => [d, {}]));
  const dims = [...kept, ...outSliceDims];
  const shape = dims.map((d) => outSliceSizes[d] ?? array.sizeOf(d));
  const built = buildWindow(
    "user",
    [{ built: array.built, windows }],
    dims,
    shape,
    dtypeOf(options.dtype, array.dtype),
    {
      fn: name,
      mode: "slices",
      module: modulePath(file),
      name,
      sliceDims,
      outSliceDims,
      outSliceSizes,
      wholeDims: outSliceDims,
    },
  );
  const coords: Record<string, Coord> = {};
  for (const d of dims)
    if (array.coords[d] && (kept.includes(d) || outSliceSizes[d] === array.sizeOf(d)))
      coords[d] = array.coords[d];
  return new LazyArray(built, coords, {}, array.name);
}

/**
 * The user kernel call of `dae run --kernels FILE`: `kernel("name", x, {dims, outDims, dtype})`
 * runs mapSlices when `dims` is given, mapBlocks otherwise (`x` may be a list of arrays).
 */
export function callKernel(
  file: string,
  name: string,
  arrays: LazyArray | LazyArray[],
  options: KernelOptions = {},
): LazyArray {
  if (options.dims) {
    if (Array.isArray(arrays)) {
      if (arrays.length !== 1)
        throw new InputError(`kernel "${name}": slices of one array only (got ${arrays.length})`);
      return mapSlices(arrays[0], file, name, options);
    }
    return mapSlices(arrays, file, name, options);
  }
  return mapBlocks(arrays, file, name, options);
}

/** A window along one input dim of `windowed`: regular, or listed per output index. */
export type WindowSpec =
  | { outDim: string; offset: number; step: number; size: number }
  | { outDim: string; starts: readonly number[]; stops: readonly number[] }
  /** The whole dim for every output element. */
  | { whole: true };

/**
 * The generalized windowed operation (DESIGN.md §1), for operations the library does not
 * have: each input gives, per windowed dim, a window per output index along an output dim
 * (ranges may overlap or be irregular; unwindowed dims map one to one to output dims of the
 * same name), and the kernel `name` from module `file` computes an output block from the
 * input blocks, getting each window in block-local indices:
 * `(inputs: KernelWindowInput[], output: {dims, shape, start}) => values`.
 *
 * @example
 * ```ts
 * // a 3-step trailing maximum minus minimum, by a kernel of yours
 * const range = windowed([{ array: t, windows: { time: { outDim: "time", offset: -2, step: 1, size: 3 } } }],
 *   { dims: [...t.dims], shape: [...t.shape] }, "./kernels.mjs", "range");
 * ```
 */
export function windowed(
  inputs: { array: LazyArray; windows: Readonly<Record<string, WindowSpec>> }[],
  output: {
    dims: readonly string[];
    shape: readonly number[];
    dtype?: string;
    coords?: Record<string, Coord>;
  },
  file: string,
  name: string,
): LazyArray {
  if (inputs.length === 0) throw new InputError("windowed: give at least one input");
  if (output.dims.length !== output.shape.length)
    throw new InputError("windowed: output dims and shape differ in length");
  const specs = inputs.map(({ array, windows }) => ({
    built: array.built,
    windows: Object.fromEntries(
      Object.entries(windows).map(([d, w]): [string, WindowAxis] => {
        array.sizeOf(d);
        if ("whole" in w) return [d, {}];
        if ("starts" in w) {
          const n = output.shape[output.dims.indexOf(w.outDim)];
          if (w.starts.length !== n || w.stops.length !== n)
            throw new InputError(
              `windowed: "${d}" needs ${n} starts and stops (one per "${w.outDim}" index)`,
            );
          return [d, { outDim: w.outDim, starts: [...w.starts], stops: [...w.stops] }];
        }
        return [d, { outDim: w.outDim, offset: w.offset, step: w.step, size: w.size }];
      }),
    ),
  }));
  const built = buildWindow(
    "user",
    specs,
    [...output.dims],
    [...output.shape],
    dtypeOf(output.dtype, inputs[0].array.dtype),
    {
      fn: name,
      mode: "windows",
      module: modulePath(file),
      name,
    },
  );
  return new LazyArray(built, output.coords ?? {}, {}, inputs[0].array.name);
}
