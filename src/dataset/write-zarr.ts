import { ChunkCache } from "../array/chunk-cache.js";
import type {
  Attrs,
  ChunkedArray,
  FillValue,
  WritableChunkedArray,
} from "../array/chunked-array.js";
import { isFloat, itemSize, type DType, type TypedArray } from "../array/dtype.js";
import { readBox } from "../array/read-box.js";
import { createZarrArray, type ZarrArrayOptions } from "../formats/zarr/index.js";
import type { Store } from "../storage/store.js";
import { InputError } from "../util/errors.js";
import type { TimeAxis } from "./cf-decode.js";
import { checkDimSizes, outputChunkShape } from "./output-chunks.js";
import { encodeTimeValue, timeCoding, type TimeCoding } from "./time-units.js";
import { finishZarrStore, prepareZarrTarget, releaseTarget } from "./zarr-target.js";
import { useCodecPool } from "../util/codec-threads.js";
import { tuneMalloc } from "../util/malloc-tuning.js";

/** What `writeDatasetZarr` needs of a variable (a `Variable` of an opened dataset has it all). */
export interface WritableVariable {
  array: ChunkedArray;
  /** Dimension names (default: the array's). */
  dims?: readonly string[];
  attrs?: Attrs;
  encoding?: Attrs;
  /** A decoded time axis: written back as numbers in `time.units` and `time.calendar`. */
  time?: TimeAxis;
}

/** What `writeDatasetZarr` writes: variables by name (a `Dataset` will do) and global attributes. */
export interface DatasetLike {
  variables: ReadonlyMap<string, WritableVariable>;
  attrs?: Attrs;
  /** Where the variables are read from (a `Dataset`'s path or URL): the target may not be, contain or lie inside it. */
  source?: string;
}

/** Progress after each written chunk. */
export interface WriteProgress {
  variable: string;
  /** Chunks written so far, over all variables. */
  chunksDone: number;
  chunksTotal: number;
  /** Uncompressed bytes written so far. */
  bytesWritten: number;
}

/** Options of `writeDatasetZarr`. */
export interface WriteZarrOptions {
  /** Zarr format (default 3). */
  zarrFormat?: 2 | 3;
  /** Output chunk size by dimension name; other dimensions keep the source's chunks or get ~4 MB chunks. */
  chunks?: Record<string, number>;
  /** Shard size by dimension name, in elements, a multiple of the chunk size (Zarr 3 only). */
  shards?: Record<string, number>;
  compressor?: ZarrArrayOptions["compressor"];
  /** Replace an existing Zarr store at the target (default: refuse). */
  overwrite?: boolean;
  onProgress?: (progress: WriteProgress) => void;
  /** Bytes of decoded source chunks kept between output chunks (default 64 MiB). */
  cacheBytes?: number;
  /** Output chunks read and written at once (default 4). */
  concurrency?: number;
  /** Told about things worth knowing that are not errors (a stale lock taken over; default: stderr). */
  onNote?: (message: string) => void;
}

/** What was written. */
export interface WriteSummary {
  variables: number;
  chunks: number;
  bytes: number;
}

interface PlannedVariable {
  name: string;
  source: ChunkedArray;
  options: ZarrArrayOptions;
  coding?: TimeCoding;
}

/**
 * Writes every variable of a dataset to a Zarr store, output chunk by output chunk: each
 * output chunk's box is read from the source with `readBox` (through a small `ChunkCache`, so
 * a source chunk straddling several output chunks is decoded once), so memory stays at about
 * `concurrency` output chunks plus the cache, whatever the size of the data.
 *
 * What xarray users get: dimension names (`_ARRAY_DIMENSIONS` in v2, `dimension_names` in
 * v3), all attributes, decoded values (packed variables become floats with NaN fill), time
 * axes encoded again in their `units` and calendar, consolidated metadata.
 *
 * Completeness: the root group's metadata and the consolidated metadata are written last, so
 * a store whose writing stopped part-way has no root `.zgroup`/`zarr.json` and no
 * `.zmetadata`, and xarray/zarr refuse to open it as a dataset rather than show partial data.
 *
 * @example
 * ```ts
 * const ds = await open("eraint_uvz.nc");
 * await writeDatasetZarr(ds, "out.zarr", { zarrFormat: 2, chunks: { latitude: 100 } });
 * ```
 */
export async function writeDatasetZarr(
  dataset: DatasetLike,
  target: Store | string,
  options: WriteZarrOptions = {},
): Promise<WriteSummary> {
  tuneMalloc();
  // this thread copies; the pool's threads decode and encode the chunks in flight
  useCodecPool(true);
  const zarrFormat = options.zarrFormat ?? 3;
  const planned = planVariables(dataset, options, zarrFormat);
  const inputs = dataset.source === undefined ? [] : [dataset.source];
  const lost = new AbortController();
  const prepared = await prepareZarrTarget(target, options.overwrite ?? false, inputs, {
    onNote: options.onNote ?? ((m) => process.stderr.write(`dae: note: ${m}\n`)),
    onLost: (message) => lost.abort(new InputError(message)),
  });
  const { store } = prepared;
  const cache = new ChunkCache(options.cacheBytes ?? 64 << 20);
  const arrays: WritableChunkedArray[] = [];
  let chunksTotal = 0;
  const progress = { chunksDone: 0, chunksTotal, bytesWritten: 0 };
  try {
    // groups, the root's last, are written once the data is: an unfinished store cannot look complete
    for (const v of planned)
      arrays.push(await createZarrArray(store, v.name, { ...v.options, parentGroups: false }));
    chunksTotal = progress.chunksTotal = arrays.reduce((n, a) => n + a.chunks.totalCount, 0);
    for (let i = 0; i < planned.length; i++)
      await copyVariable(
        planned[i],
        arrays[i],
        cache,
        options.concurrency ?? 4,
        lost.signal,
        (bytes) => {
          progress.chunksDone++;
          progress.bytesWritten += bytes;
          options.onProgress?.({ variable: planned[i].name, ...progress });
        },
      );
    lost.signal.throwIfAborted();
    await finishZarrStore(
      store,
      planned.map((v) => v.name),
      dataset.attrs ?? {},
      zarrFormat,
    );
  } catch (e) {
    await prepared.lock.release(); // the records folder stays: the store reads as unfinished
    throw e;
  }
  await releaseTarget(prepared);
  return { variables: planned.length, chunks: chunksTotal, bytes: progress.bytesWritten };
}

function planVariables(
  dataset: DatasetLike,
  options: WriteZarrOptions,
  zarrFormat: 2 | 3,
): PlannedVariable[] {
  const dimNames = new Set<string>();
  for (const v of dataset.variables.values())
    for (const d of v.dims ?? v.array.dims) dimNames.add(d);
  checkDimSizes("chunks", options.chunks ?? {}, dimNames);
  checkDimSizes("shards", options.shards ?? {}, dimNames);
  if (options.shards && Object.keys(options.shards).length > 0 && zarrFormat !== 3)
    throw new InputError("shards need Zarr format 3");
  return [...dataset.variables].map(([name, v]) => {
    const dims = v.dims ?? v.array.dims;
    const attrs: Attrs = { ...(v.attrs ?? {}) };
    if (typeof v.encoding?.coordinates === "string" && !("coordinates" in attrs))
      attrs.coordinates = v.encoding.coordinates;
    let dtype: DType = v.array.dtype;
    let fillValue: FillValue = isFloat(dtype) ? NaN : null;
    // a stored _FillValue (undecoded data) becomes the Zarr fill value, as xarray writes it
    if ("_FillValue" in attrs) {
      const fv = attrs._FillValue;
      delete attrs._FillValue;
      if (typeof fv === "number" || typeof fv === "boolean" || fv === null) fillValue = fv;
    }
    let coding: TimeCoding | undefined;
    if (v.time) {
      coding = timeCoding(v.time.units, v.time.calendar);
      attrs.units = v.time.units;
      attrs.calendar = v.time.calendar;
      dtype = "float64";
      fillValue = NaN;
    }
    const chunks = outputChunkShape(dims, v.array.chunks, itemSize(dtype), options.chunks);
    const shards =
      options.shards && zarrFormat === 3
        ? shardShape(name, dims, chunks, options.shards)
        : undefined;
    const arrayOptions: ZarrArrayOptions = {
      shape: [...v.array.shape],
      dtype,
      dims: [...dims],
      chunks,
      fillValue,
      attrs,
      zarrFormat,
      ...(shards ? { shards } : {}),
      ...(options.compressor ? { compressor: options.compressor } : {}),
    };
    return { name, source: v.array, options: arrayOptions, coding };
  });
}

function shardShape(
  name: string,
  dims: readonly string[],
  chunks: number[],
  shards: Record<string, number>,
): number[] | undefined {
  if (!dims.some((d) => d in shards)) return undefined;
  return dims.map((dim, d) => {
    const n = shards[dim];
    if (n === undefined) return chunks[d];
    if (n % chunks[d] !== 0)
      throw new InputError(
        `shards: ${dim}=${n} is not a multiple of ${name}'s chunk size ${chunks[d]} along ${dim}`,
      );
    return n;
  });
}

async function copyVariable(
  v: PlannedVariable,
  out: WritableChunkedArray,
  cache: ChunkCache,
  concurrency: number,
  /** Aborted when another writer took the store's lock: stop writing. */
  lost: AbortSignal,
  onChunk: (bytes: number) => void,
): Promise<void> {
  const counts = out.chunks.counts;
  const total = out.chunks.totalCount;
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < total && !failed) {
      lost.throwIfAborted();
      const coords = unravel(next++, counts);
      const { start, stop } = out.chunks.chunkBox(coords);
      let data: TypedArray = await readBox(v.source, start, stop, { cache });
      if (v.coding) data = encodeTimes(data as Float64Array, v.coding);
      await out.writeChunk(coords, data);
      onChunk(data.byteLength);
    }
  };
  // on a failure the other writes stop, and the error is reported once they have settled:
  // none is then left writing (or leaving a temporary file) after the caller hears of it
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, total) }, () =>
      worker().catch((e) => ((failed = true), Promise.reject(e))),
    ),
  );
  const failure = outcomes.find((o) => o.status === "rejected");
  if (failure) throw failure.reason;
}

function encodeTimes(seconds: Float64Array, coding: TimeCoding): Float64Array {
  const out = new Float64Array(seconds.length);
  for (let i = 0; i < seconds.length; i++) out[i] = encodeTimeValue(seconds[i], coding);
  return out;
}

/** Chunk coordinates of the `index`-th chunk in C order. */
function unravel(index: number, counts: readonly number[]): number[] {
  const coords = new Array<number>(counts.length);
  for (let d = counts.length - 1; d >= 0; d--) {
    coords[d] = index % counts[d];
    index = Math.floor(index / counts[d]);
  }
  return coords;
}
