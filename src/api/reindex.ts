import { isFloat } from "../array/dtype.js";
import type { ViewAxis, WindowAxis } from "../core/graph.js";
import { buildView, type Built } from "./build.js";
import type { Coord } from "./coords.js";
import { LazyArray } from "./lazy-array.js";
import { buildWindow } from "./windows.js";

/**
 * `a` laid out anew along `dim` (see `reindexBuilt`), with `coord` as the coordinate of the
 * result there (`undefined`: the coordinates stay as they are, as `roll` without its coords).
 */
export function reindex(
  a: LazyArray,
  dim: string,
  positions: ArrayLike<number>,
  coord: Coord | undefined,
): LazyArray {
  const coords = coord ? { ...a.coords, [dim]: coord } : { ...a.coords };
  return new LazyArray(reindexBuilt(a.built, dim, positions), coords, a.attrs, a.name, a.chunkHint);
}

/**
 * `input` with dim `dim` laid out anew: element i of the result is element `positions[i]` of
 * the input along `dim` (-1: none, NaN). Never a copy of the whole input (DESIGN.md §8,
 * "Alignment is a window"): positions 0…n-1 are the input itself, an arithmetic progression
 * (a subset, an offset, a reversal, a step) is a view, anything else (a permutation, a roll,
 * labels missing from the input) a gather that reads only what each block needs. Integer
 * inputs become float64 where a label is missing, as xarray fills them with NaN.
 *
 * @example
 * ```ts
 * reindexBuilt(lat.built, "lat", Int32Array.from([2, 1, 0])); // a reversed view
 * ```
 */
export function reindexBuilt(input: Built, dim: string, positions: ArrayLike<number>): Built {
  const node = input.node;
  const k = node.dims.indexOf(dim);
  const n = positions.length;
  const shape = node.shape.map((s, i) => (i === k ? n : s));
  const step = progressionStep(positions);
  if (step !== undefined) {
    const axes: ViewAxis[] = node.dims.map((d, i) =>
      i === k ? { inDim: d, start: positions[0] ?? 0, step } : { inDim: d, start: 0, step: 1 },
    );
    return buildView(input, [...node.dims], shape, axes, {});
  }
  const index = Array.from(positions);
  const missing = index.some((p) => p < 0);
  const dtype = missing && !isFloat(node.dtype) ? "float64" : node.dtype;
  const windows: Record<string, WindowAxis> = {
    [dim]: { outDim: dim, offset: 0, step: 1, size: 1, index },
  };
  return buildWindow("gather", [{ built: input, windows }], [...node.dims], shape, dtype, {
    fn: "reindex",
  });
}

/** The step of positions that form an arithmetic progression (all present), else undefined. */
function progressionStep(positions: ArrayLike<number>): number | undefined {
  const n = positions.length;
  if (n === 0) return 1;
  if (positions[0] < 0) return undefined;
  if (n === 1) return 1;
  const step = positions[1] - positions[0];
  if (step === 0) return undefined;
  for (let i = 2; i < n; i++) if (positions[i] - positions[i - 1] !== step) return undefined;
  // a progression that starts and ends inside the input has all its members inside
  return positions[n - 1] >= 0 ? step : undefined;
}
