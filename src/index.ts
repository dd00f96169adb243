/**
 * diskarray-engine: compute over n-dimensional arrays far larger than memory, stored chunked
 * in Zarr, NetCDF, HDF5 and GeoTIFF, lazily and in bounded memory.
 *
 * @example
 * ```ts
 * import { openDataset, compute, toZarr } from "diskarray-engine";
 *
 * const { vars } = await openDataset("era.nc");
 * const g = vars.t2m.groupby("time.month");
 * await toZarr(g.sub(g.mean()).rename("anomaly"), "anomaly.zarr", { memory: "1GB" });
 * ```
 * @packageDocumentation
 */

// lazy arrays and running them
export { LazyArray, type ArrayLike } from "./api/lazy-array.js";
export { openDataset, fromArray, fromChunked, type LazyDataset, type OpenOptions } from "./api/open-dataset.js";
export { compute, load, toZarr, plan, type ComputeOptions, type ToZarrOptions, type LoadedArray, type RunReport } from "./api/compute.js";
export { slice, type Slice, type SelOptions } from "./api/selection.js";
export type { ReduceOptions } from "./api/build.js";
export { evaluateExpression, parseExpression, type ExpressionScope } from "./api/expression.js";
export { mapBlocks, mapSlices, windowed, callKernel, type KernelOptions, type WindowSpec } from "./api/user-kernels.js";
export { histogram, valueCounts, type HistogramOptions } from "./api/histogram.js";
export { interp, type InterpOptions } from "./api/interp.js";
export { writePyramid, type PyramidOptions, type PyramidMethod } from "./api/pyramid.js";
export type { Progress } from "./exec/executor.js";
export type { Plan } from "./plan/plan.js";
export { formatPlan, explainPlan } from "./plan/explain.js";

// datasets, formats and storage, for your own readers and writers
export { open, getVariable, writeDatasetZarr, timeComponents, formatTime, encodeTime, type Dataset, type Variable } from "./dataset/index.js";
export type { ChunkedArray, WritableChunkedArray, Attrs, AttrValue, FillValue } from "./array/chunked-array.js";
export { ChunkGrid, DimChunks } from "./array/chunk-grid.js";
export { fromTypedArray, type MemoryArrayOptions } from "./array/memory-array.js";
export { readBox } from "./array/read-box.js";
export type { DType, TypedArray } from "./array/dtype.js";
export { openZarr, createZarrArray, createZarrGroup, consolidateMetadata, type ZarrArrayOptions } from "./formats/zarr/index.js";
export { FsStore, FileSource } from "./storage/fs-store.js";
export { HttpStore, HttpSource } from "./storage/http-store.js";
export type { Store, ByteSource } from "./storage/store.js";
export { DaeError, InputError, FormatError, MemoryBudgetError } from "./util/errors.js";
