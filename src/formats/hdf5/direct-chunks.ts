import { promises as fs } from "node:fs";
import { inflateSync } from "node:zlib";
import { sizeOf } from "../../array/chunked-array.js";
import type { ChunkGrid } from "../../array/chunk-grid.js";
import { copyBox } from "../../array/copy-box.js";
import { allocate, arrayClass, type DType, type TypedArray } from "../../array/dtype.js";
import { openRegularFile } from "../../storage/regular-file.js";
import { compressBound, inflateBounded } from "../../util/bounded-decode.js";
import { FormatError } from "../../util/errors.js";
import { nativeLoops } from "../../util/native-loops.js";
import { releaseScratch, takeScratch } from "../../util/scratch-buffers.js";
import type { ChunkIndex, StoredChunk } from "./chunk-index.js";

/** HDF5 filter ids this reader undoes itself. */
const DEFLATE = 1;
const SHUFFLE = 2;

/** What a direct reader needs to know of a dataset. */
export interface DirectChunkDataset {
  file: string;
  /** `file:variable`, for errors. */
  source: string;
  dtype: DType;
  /** Filter ids in pipeline order (as HDF5 applied them when writing). */
  filters: readonly number[];
  grid: ChunkGrid;
  index: ChunkIndex;
}

/** Reads one chunk, or returns undefined where HDF5 must (a chunk not stored, filters skipped). */
export type DirectChunkRead = (coords: readonly number[]) => Promise<TypedArray | undefined>;

/**
 * Whether chunks of a dataset with these facts can be read without HDF5: plain numbers
 * (float16 and bool need HDF5's conversion), little-endian, filtered by deflate and shuffle
 * only, shuffle undone in C (the TypeScript loop would cost what native inflate saves).
 */
export function canReadDirectly(
  dtype: DType,
  littleEndian: boolean,
  filters: readonly number[],
): boolean {
  if (dtype === "float16" || dtype === "bool" || !littleEndian) return false;
  if (!filters.every((f) => f === DEFLATE || f === SHUFFLE)) return false;
  return !filters.includes(SHUFFLE) || nativeLoops() !== undefined;
}

/**
 * Chunks read straight from the file: the stored bytes at the index's address, inflated by
 * Node's zlib (native, where HDF5 in h5wasm inflates in wasm; from C into a reused buffer where
 * `dae-native-kernels` is built), unshuffled, and cut to the
 * grid's extent at the edges (HDF5 stores edge chunks whole). The file is opened on the first
 * read and closed by `close` (the dataset refuses reads once closed, before they get here).
 */
export function directChunkReader(dataset: DirectChunkDataset): {
  read: DirectChunkRead;
  close(): Promise<void>;
} {
  const { file, source, dtype, filters, grid, index } = dataset;
  const elementSize = index.elementSize;
  const storedShape = index.chunkShape;
  const storedBytes = sizeOf(storedShape) * elementSize;
  let handle: Promise<fs.FileHandle> | undefined;
  const read: DirectChunkRead = async (coords) => {
    const stored = index.chunks.get(coords);
    if (!stored || stored.filterMask !== 0) return undefined;
    const where = `${source}: chunk [${coords}]`;
    const fh = await (handle ??= openRegularFile(file));
    // the stored, inflated and unshuffled bytes in scratch buffers (reused for the next chunk
    // once given back; zlib's own output where the C part is not built)
    let bytes = await readStored(fh, stored, storedBytes, where);
    const checked = (b: Uint8Array) => {
      if (b.length !== storedBytes)
        throw new FormatError(`${where}: holds ${b.length} bytes, expected ${storedBytes}`);
      return b;
    };
    try {
      // filters undone in the reverse of the order they were applied
      for (let f = filters.length - 1; f >= 0; f--) {
        const input = bytes;
        if (filters[f] === DEFLATE) bytes = inflate(input, storedBytes, where);
        else
          nativeLoops()!.unshuffle(checked(input), (bytes = takeScratch(storedBytes)), elementSize);
        releaseScratch(input);
      }
      checked(bytes);
    } catch (e) {
      releaseScratch(bytes);
      throw e;
    }
    // zlib's output starts 8-aligned (Node aligns its pooled buffers); a copy where it would not
    const own = bytes.byteOffset % elementSize === 0 ? bytes : new Uint8Array(bytes);
    const full = new (arrayClass(dtype))(own.buffer, own.byteOffset, sizeOf(storedShape));
    const extent = grid.chunkExtent(coords);
    if (extent.every((e, d) => e === storedShape[d])) return full;
    const out = allocate(dtype, sizeOf(extent));
    const zeros = extent.map(() => 0);
    copyBox(full, storedShape, zeros, out, extent, zeros, extent);
    releaseScratch(bytes);
    return out;
  };
  return {
    read,
    async close() {
      if (handle) await (await handle).close();
    },
  };
}

/**
 * A chunk's stored bytes, in a scratch buffer. The chunk index's size is read from the file:
 * bounded by what a chunk of `storedBytes` can take before it is allocated.
 */
async function readStored(
  fh: fs.FileHandle,
  stored: StoredChunk,
  storedBytes: number,
  where: string,
): Promise<Uint8Array> {
  if (stored.size > compressBound(storedBytes))
    throw new FormatError(
      `${where}: the chunk index says ${stored.size} stored bytes, more than a chunk of ${storedBytes} bytes can take (corrupt file); refused`,
    );
  const bytes = takeScratch(stored.size);
  const { bytesRead } = await fh.read(bytes, 0, stored.size, stored.address);
  if (bytesRead !== stored.size) {
    releaseScratch(bytes);
    throw new FormatError(`${where}: the file ends inside the chunk (truncated?)`);
  }
  return bytes;
}

/** Fletcher-32 (HDF5 filter 3): a checksum appended after the filters before it. */
const FLETCHER32 = 3;

/**
 * For chunks HDF5 decodes itself (other filters, big-endian or float16 data, a skipped
 * filter): a check that the chunk's deflate stream inflates to no more than the chunk can
 * hold, before HDF5 inflates it; HDF5's deflate filter grows its buffer for as long as the
 * stream goes on, so a small bomb would take gigabytes of its (wasm) memory. Undefined where
 * there is nothing to check: no deflate, or deflate followed by a filter that transforms its
 * output.
 */
export function deflateGuard(
  dataset: Pick<DirectChunkDataset, "file" | "source" | "filters" | "index">,
): { check(coords: readonly number[]): Promise<void>; close(): Promise<void> } | undefined {
  const { file, source, filters, index } = dataset;
  const at = filters.indexOf(DEFLATE);
  if (at < 0 || !filters.slice(at + 1).every((f) => f === FLETCHER32)) return undefined;
  const storedBytes = sizeOf(index.chunkShape) * index.elementSize;
  let handle: Promise<fs.FileHandle> | undefined;
  return {
    async check(coords) {
      const stored = index.chunks.get(coords);
      if (!stored || stored.filterMask & (1 << at)) return;
      const where = `${source}: chunk [${coords}]`;
      const fh = await (handle ??= openRegularFile(file));
      const bytes = await readStored(fh, stored, storedBytes, where);
      try {
        inflateBounded(bytes, "zlib", compressBound(storedBytes));
      } catch (e) {
        throw new FormatError(`${where}: HDF5: ${(e as Error).message}`, { cause: e });
      } finally {
        releaseScratch(bytes);
      }
    },
    async close() {
      if (handle) await (await handle).close();
    },
  };
}

function inflate(bytes: Uint8Array, expected: number, where: string): Uint8Array {
  const loops = nativeLoops();
  const out = loops ? takeScratch(expected) : undefined;
  try {
    // into a reused scratch buffer in C; else one output buffer a little larger than the chunk:
    // no growing and joining of pieces, and no more than that, whatever the stream claims
    return out
      ? out.subarray(0, loops!.inflateInto(bytes, out))
      : inflateSync(bytes, { chunkSize: expected + 64, maxOutputLength: expected + 64 });
  } catch (e) {
    releaseScratch(out);
    throw new FormatError(
      `${where}: HDF5: the chunk's deflate data is damaged (${(e as Error).message})`,
      { cause: e },
    );
  }
}
