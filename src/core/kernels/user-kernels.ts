import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { stridesOf } from "../../array/copy-box.js";
import type { NumberArray } from "../../array/dtype.js";
import { boxShape, type Box } from "../box.js";
import { gather, stridesFor } from "../gather.js";
import { InputError } from "../../util/errors.js";
import { clippedWindow } from "./window-axis.js";
import type { WindowKernelArgs } from "./window-kernels.js";

/** A block handed to a user kernel: values (C order; int64 as float64), shape and dim names. */
export interface KernelArray {
  data: NumberArray;
  shape: number[];
  dims: string[];
}

/** An input of a user window kernel: its block and, per windowed dim, each output index's window in it. */
export interface KernelWindowInput extends KernelArray {
  /** Per windowed dim: window [starts[j], stops[j]) of the block for output index j of the output block. */
  windows: Record<string, { starts: Int32Array; stops: Int32Array }>;
}

/** What a user kernel returns: the output block's values in C order. */
export type KernelResult = ArrayLike<number>;

/**
 * The shapes of user kernels, by mode (params.mode):
 * - `blocks` (mapBlocks): `(inputs: KernelArray[], output: {dims, shape}) => values`;
 * - `slices` (mapSlices): `(slices: KernelArray) => values` — `slices.shape` is
 *   `[n, ...sliceShape]` (n slices at once, never one call per element), the result
 *   `[n, ...outSliceShape]`;
 * - `windows` (the generalized windowed operation): `(inputs: KernelWindowInput[], output:
 *   {dims, shape, start}) => values`.
 */
export type UserKernelMode = "blocks" | "slices" | "windows";

const modules = new Map<string, Promise<Record<string, unknown>>>();
/** When set (`dae worker`), the only module files kernels come from: nothing else is imported. */
let onlyModules: ReadonlySet<string> | undefined;

/**
 * Restricts user kernels to `loaded` (module files imported by the caller, by real path, with
 * their exports) for the rest of the process: a plan naming any other file is refused, so a
 * plan from elsewhere (a queue) can never make this process import code.
 */
export function restrictUserKernels(loaded: ReadonlyMap<string, Record<string, unknown>>): void {
  for (const [file, exports] of loaded) modules.set(file, Promise.resolve(exports));
  onlyModules = new Set(loaded.keys());
}

/**
 * The function `name` exported by the module file `file` (an absolute path). Kernels are
 * only ever loaded from files, by path and export name carried in the plan, so every worker
 * thread imports the same code; nothing is evaluated from a string.
 */
export async function loadUserKernel(
  file: string,
  name: string,
): Promise<(...args: unknown[]) => unknown> {
  if (onlyModules && !onlyModules.has(file))
    throw new InputError(`kernel module ${file} is not one this process loaded at start`);
  if (!path.isAbsolute(file) || !existsSync(file))
    throw new InputError(
      `kernel module ${file} does not exist (kernels are loaded from module files)`,
    );
  let mod = modules.get(file);
  if (!mod) {
    mod = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
    modules.set(file, mod);
    mod.catch(() => modules.delete(file));
  }
  const exports = await mod;
  const fn = exports[name];
  if (typeof fn !== "function")
    throw new InputError(
      `kernel module ${file} exports no function "${name}" (functions: ${
        Object.keys(exports)
          .filter((k) => typeof exports[k] === "function")
          .join(", ") || "none"
      })`,
    );
  return fn as (...args: unknown[]) => unknown;
}

/** The `user` window kernel: runs a user function (params `module`, `name`, `mode`) on the block. */
export async function userKernel({ node, box, out, inputs }: WindowKernelArgs): Promise<void> {
  const file = String(node.params.module);
  const name = String(node.params.name);
  const fn = await loadUserKernel(file, name);
  const outShape = boxShape(box);
  const what = `kernel "${name}" of ${file}`;
  let result: unknown;
  switch (node.params.mode as UserKernelMode) {
    case "blocks":
      result = await fn(
        inputs.map((b) => ({ data: b.data, shape: boxShape(b.inBox), dims: [...b.input.dims] })),
        { dims: [...node.dims], shape: outShape },
      );
      break;
    case "windows":
      result = await fn(
        inputs.map((b) => ({
          data: b.data,
          shape: boxShape(b.inBox),
          dims: [...b.input.dims],
          windows: localWindows(node.dims, box, b.windows, b.input.dims, b.input.shape, b.inBox),
        })),
        { dims: [...node.dims], shape: outShape, start: [...box.start] },
      );
      break;
    case "slices":
      return runSlices(fn, what, node.params, inputs[0], node.dims, box, out);
    default:
      throw new InputError(`${what}: unknown mode ${String(node.params.mode)}`);
  }
  copyResult(result, out, what);
}

function localWindows(
  dims: readonly string[],
  box: Box,
  windows: WindowKernelArgs["inputs"][number]["windows"],
  inDims: readonly string[],
  inShape: readonly number[],
  inBox: Box,
): KernelWindowInput["windows"] {
  const local: KernelWindowInput["windows"] = {};
  for (const [d, w] of Object.entries(windows)) {
    const i = inDims.indexOf(d);
    const k = w.outDim ? dims.indexOf(w.outDim) : -1;
    const count = k < 0 ? 1 : box.stop[k] - box.start[k];
    const starts = new Int32Array(count);
    const stops = new Int32Array(count);
    for (let j = 0; j < count; j++) {
      const [lo, hi] = k < 0 ? [0, inShape[i]] : clippedWindow(w, box.start[k] + j, inShape[i]);
      starts[j] = Math.max(0, lo - inBox.start[i]);
      stops[j] = Math.max(starts[j], hi - inBox.start[i]);
    }
    local[d] = { starts, stops };
  }
  return local;
}

/**
 * mapSlices: the block laid out [kept..., slice...], handed over as n slices at once; the
 * result [kept..., outSlice...] is cut to the output box (an out-slice dim is computed whole).
 */
async function runSlices(
  fn: (...args: unknown[]) => unknown,
  what: string,
  params: Record<string, unknown>,
  block: WindowKernelArgs["inputs"][number],
  dims: readonly string[],
  box: Box,
  out: NumberArray,
): Promise<void> {
  const sliceDims = params.sliceDims as string[];
  const outSliceDims = params.outSliceDims as string[];
  const inShape = boxShape(block.inBox);
  const inDims = block.input.dims;
  const kept = inDims.filter((d) => !sliceDims.includes(d));
  const order = [...kept, ...sliceDims];
  const shape = order.map((d) => inShape[inDims.indexOf(d)]);
  const data = new Float64Array(block.data.length);
  gather(block.data, 0, stridesFor(inDims, inShape, order), shape, data);
  const n = kept.reduce((p, d) => p * inShape[inDims.indexOf(d)], 1);
  const result = await fn({
    data,
    shape: [n, ...shape.slice(kept.length)],
    dims: ["slice", ...sliceDims],
  });
  // the whole out-slice extents, then the output box's part of them
  const outSliceShape = outSliceDims.map(
    (d) => (params.outSliceSizes as Record<string, number>)[d],
  );
  const fullShape = [...kept.map((d) => inShape[inDims.indexOf(d)]), ...outSliceShape];
  const full = new Float64Array(fullShape.reduce((p, q) => p * q, 1));
  copyResult(result, full, what);
  const fullDims = [...kept, ...outSliceDims];
  const strides = stridesOf(fullShape);
  let offset = 0;
  const outStrides = dims.map((d) => {
    const i = fullDims.indexOf(d);
    if (outSliceDims.includes(d)) offset += box.start[dims.indexOf(d)] * strides[i];
    return strides[i];
  });
  gather(full, offset, outStrides, boxShape(box), out);
}

function copyResult(result: unknown, out: NumberArray, what: string): void {
  const values = result as ArrayLike<number> | undefined;
  if (!values || typeof values.length !== "number")
    throw new InputError(`${what} returned ${typeof result}, not a typed array`);
  if (values.length !== out.length)
    throw new InputError(`${what} returned ${values.length} values for a block of ${out.length}`);
  if (ArrayBuffer.isView(values)) out.set(values as unknown as ArrayLike<number>);
  else for (let i = 0; i < out.length; i++) out[i] = values[i];
}
