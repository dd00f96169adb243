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
export {
  openDataset,
  fromArray,
  fromChunked,
  type LazyDataset,
  type OpenOptions,
} from "./api/open-dataset.js";
export {
  compute,
  load,
  toZarr,
  plan,
  type ComputeOptions,
  type ToZarrOptions,
  type LoadedArray,
  type RunReport,
} from "./api/compute.js";
export {
  slice,
  type Slice,
  type SelOptions,
  type SelectOptions,
  type IndexKey,
  type LabelKey,
} from "./api/selection.js";
export type { IselKey, SelKey, WhereOptions } from "./api/select.js";
export { TimeFields } from "./api/time-fields.js";
export { align, type AlignOptions } from "./api/align.js";
export type { Join } from "./api/label-join.js";
export type { RollShifts } from "./api/reorder.js";
export type { CoordValues } from "./api/assign-coords.js";
export type { ReduceOptions } from "./api/build.js";
export {
  evaluateExpression,
  parseExpression,
  type ExpressionScope,
  type ExpressionOptions,
} from "./api/expression.js";
export {
  mapBlocks,
  mapSlices,
  windowed,
  callKernel,
  type KernelOptions,
  type WindowSpec,
} from "./api/user-kernels.js";
export { histogram, valueCounts, type HistogramOptions } from "./api/histogram.js";
export { interp, type InterpOptions } from "./api/interp.js";
export { polyfit, polyval } from "./api/polyfit.js";
export { Weighted } from "./api/weighted.js";
export { ArrayGroupBy, groupLabels, type ArrayGroupOptions } from "./api/groupby-array.js";
export type { ScanOptions } from "./api/scan.js";
export type { DiffOptions } from "./api/shift.js";
export type { CovOptions } from "./api/correlation.js";
export { writePyramid, type PyramidOptions, type PyramidMethod } from "./api/pyramid.js";
export type { Progress } from "./exec/executor.js";
export type { Plan } from "./plan/plan.js";
export { formatPlan, explainPlan } from "./plan/explain.js";

// datasets, formats and storage, for your own readers and writers
export {
  open,
  getVariable,
  writeDatasetZarr,
  timeComponents,
  formatTime,
  encodeTime,
  type Dataset,
  type DatasetOpenOptions,
  type Variable,
} from "./dataset/index.js";
export type { RawDataset } from "./formats/raw-dataset.js";
export type { StageReport } from "./exec/run-stages.js";
export {
  registerFormat,
  type ArrayFormat,
  type FileFormat,
  type StoreFormat,
} from "./formats/registry.js";
export type {
  ChunkedArray,
  WritableChunkedArray,
  Attrs,
  AttrValue,
  FillValue,
} from "./array/chunked-array.js";
export { ChunkGrid, DimChunks } from "./array/chunk-grid.js";
export { fromTypedArray, type MemoryArrayOptions } from "./array/memory-array.js";
export { readBox } from "./array/read-box.js";
export { BlockPool, BlockScope } from "./array/block-pool.js";
export type { DType, TypedArray } from "./array/dtype.js";
export {
  openZarr,
  createZarrArray,
  createZarrGroup,
  consolidateMetadata,
  type ZarrArrayOptions,
} from "./formats/zarr/index.js";
export { FsStore, FileSource } from "./storage/fs-store.js";
export { HttpStore, HttpSource } from "./storage/http-store.js";
export type { Store, ByteSource } from "./storage/store.js";
export { DaeError, InputError, FormatError, MemoryBudgetError } from "./util/errors.js";

// types that appear in the signatures above (documented in docs/reference)
export type { Built } from "./api/build.js";
export type { Coord } from "./api/coords.js";
export type { ScopeDataset } from "./api/expression.js";
export type { GroupBy, Groups, BinOptions } from "./api/groupby.js";
export type { InterpTargets } from "./api/interp.js";
export type { PyramidLevel } from "./api/pyramid.js";
export type { Resample } from "./api/resample.js";
export type { Rolling, RollingOptions, Coarsen, CoarsenOptions } from "./api/windows.js";
export type { NumberArray } from "./array/dtype.js";
export type { ReadBoxOptions } from "./array/read-box.js";
export type { ChunkCache } from "./array/chunk-cache.js";
export type { ViewClass } from "./array/block-pool.js";
export type {
  Graph,
  Node,
  SourceNode,
  MapNode,
  ViewNode,
  ReduceNode,
  WindowNode,
  WindowAxis,
  WindowInput,
  Operand,
  SourceRef,
  ViewAxis,
} from "./core/graph.js";
export type { Calendar, DateParts, TimeComponents } from "./dataset/calendar.js";
export type { TimeAxis } from "./dataset/cf-decode.js";
export type { DatasetOptions } from "./dataset/dataset.js";
export type {
  DatasetLike,
  WritableVariable,
  WriteZarrOptions,
  WriteProgress,
  WriteSummary,
} from "./dataset/write-zarr.js";
export type { DistributedOptions } from "./exec/distributed/distributed-executor.js";
export type { PlanExplanation } from "./plan/explain.js";
export type { OutputTarget, PlannedOutput, PlannedGroup, DecodeCount } from "./plan/plan.js";
export type { RetryOptions } from "./storage/http-fetch.js";
export type { HttpSourceOptions } from "./storage/http-store.js";
