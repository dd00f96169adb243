import { ChunkGrid, DimChunks } from "../array/chunk-grid.js";
import type { Attrs, ChunkedArray, FillValue } from "../array/chunked-array.js";
import type { DType, TypedArray } from "../array/dtype.js";
import { fromTypedArray } from "../array/memory-array.js";
import type { Graph, SourceNode } from "../core/graph.js";
import type { Dataset } from "../dataset/dataset.js";
import { getVariable } from "../dataset/dataset.js";
import { open } from "../dataset/open.js";
import { InputError } from "../util/errors.js";

/** An in-memory array as plain data that can cross to a worker thread (no copy when shared). */
export interface MemorySnapshot {
  data: TypedArray;
  shape: number[];
  dims: string[];
  chunkSizes: number[][];
  dtype: DType;
  fillValue: FillValue;
  attrs: Attrs;
}

interface MemoryEntry {
  array: ChunkedArray;
  snapshot?: MemorySnapshot;
}

/** Arrays given to the engine from memory (not from a file), by key. */
const memory = new Map<string, MemoryEntry>();
let counter = 0;

/**
 * Registers an in-memory chunked array as a source and returns its key (`key`, or a new
 * one). With `data`, its values can be shared with worker threads; without, only the inline
 * executor can read it.
 */
export function registerMemorySource(
  array: ChunkedArray,
  data?: TypedArray,
  key = `memory:${++counter}:${array.source}`,
): string {
  const snapshot = data && {
    data,
    shape: [...array.shape],
    dims: [...array.dims],
    chunkSizes: array.chunks.dims.map((d) => d.toSizes()),
    dtype: array.dtype,
    fillValue: array.fillValue,
    attrs: array.attrs,
  };
  memory.set(key, { array, snapshot });
  return key;
}

/** Snapshots of the memory sources a graph reads, to ship to workers; throws if one cannot cross. */
export function memorySnapshots(nodes: SourceNode[]): Record<string, MemorySnapshot> {
  const out: Record<string, MemorySnapshot> = {};
  for (const n of nodes) {
    if (n.ref.kind !== "memory") continue;
    const e = memory.get(n.ref.key);
    if (!e?.snapshot)
      throw new InputError(
        `${n.ref.key} is a custom in-memory array that cannot be shared with worker threads; use the inline executor`,
      );
    out[n.ref.key] = e.snapshot;
  }
  return out;
}

/** Makes the memory sources in `snapshots` readable in this thread (a worker). */
export function adoptSnapshots(snapshots: Record<string, MemorySnapshot>): void {
  for (const [key, s] of Object.entries(snapshots)) {
    if (memory.has(key)) continue;
    const chunks = new ChunkGrid(
      s.chunkSizes.map((sizes, d) =>
        sizes.length ? DimChunks.irregular(sizes) : DimChunks.regular(s.shape[d], 1),
      ),
    );
    const array = fromTypedArray(s.data, {
      shape: s.shape,
      dims: s.dims,
      chunks,
      dtype: s.dtype,
      fillValue: s.fillValue,
      attrs: s.attrs,
      source: key,
    });
    memory.set(key, { array, snapshot: s });
  }
}

/** Whether every source of the graph can be opened in another thread. */
export function allShareable(nodes: SourceNode[]): boolean {
  return nodes.every((n) => n.ref.kind === "dataset" || memory.get(n.ref.key)?.snapshot);
}

/** Datasets opened by this process, by url and decoding, so each task does not reopen them. */
const datasets = new Map<string, Promise<Dataset>>();

/**
 * Opens a dataset once per process: the API's `openDataset` and every task of this
 * process share it (and its open file handles, which stay open until `closeDatasets`).
 */
export function openCachedDataset(
  url: string,
  decode: boolean,
  directReads = false,
): Promise<Dataset> {
  const key = `${decode}|${directReads}|${url}`;
  let ds = datasets.get(key);
  if (!ds) {
    ds = open(url, { decode, directReads });
    datasets.set(key, ds);
    ds.catch(() => datasets.delete(key));
  }
  return ds;
}

/** Closes every dataset this process opened (at the end of a CLI command or a worker). */
export async function closeDatasets(): Promise<void> {
  const all = [...datasets.values()];
  datasets.clear();
  for (const ds of all) await ds.then((d) => d.close()).catch(() => undefined);
}

/** Opens the array behind a source node (datasets are opened once per process). */
export async function openSource(node: SourceNode): Promise<ChunkedArray> {
  const ref = node.ref;
  if (ref.kind === "memory") {
    const e = memory.get(ref.key);
    if (!e) throw new InputError(`${ref.key}: in-memory source not available in this process`);
    return e.array;
  }
  return getVariable(await openCachedDataset(ref.url, ref.decode, ref.directReads), ref.variable)
    .array;
}

/** Where the sources of `graph` are stored (paths and URLs; in-memory sources have no place). */
export function inputLocations(graph: Graph): string[] {
  const urls = new Set<string>();
  for (const n of Object.values(graph))
    if (n.op === "source" && n.ref.kind === "dataset") urls.add(n.ref.url);
  return [...urls];
}
