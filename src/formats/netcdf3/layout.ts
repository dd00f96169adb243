import { contiguousChunkShape, VIRTUAL_CHUNK_BYTES } from "../../array/contiguous-chunks.js";
import { stridesOf } from "../../array/copy-box.js";
import { FormatError } from "../../util/errors.js";
import type { Nc3Header, Nc3Var } from "./header.js";
import type { NcType } from "./nc-types.js";

/**
 * Where a variable's values are in the file: element `idx` is at
 * `begin + sum(idx[d] * byteStrides[d])`, big-endian. A record variable's first axis strides
 * by the record size, over the other record variables' data that interleaves with it.
 */
export interface Nc3Layout {
  readonly shape: readonly number[];
  readonly dims: readonly string[];
  readonly type: NcType;
  readonly begin: number;
  readonly byteStrides: readonly number[];
  /** Bytes from one record to the next (record variables), else undefined. */
  readonly recordStride?: number;
  /** Virtual chunk shape: contiguous byte ranges of a few MB, see `nc3ChunkShape`. */
  readonly chunkShape: readonly number[];
}

/**
 * Computes every variable's layout from the header and checks that its data lies inside the
 * file, so that a lying header fails here with a clear message and not later with a huge read.
 */
export function nc3Layouts(
  header: Nc3Header,
  fileSize: number,
  url: string,
  chunkBytes = VIRTUAL_CHUNK_BYTES,
): Map<string, Nc3Layout> {
  const fail = (v: Nc3Var, what: string): never => {
    throw new FormatError(`${url}: variable ${v.name}: ${what}`);
  };
  const isRecordVar = (v: Nc3Var) => v.dimIds.length > 0 && header.dims[v.dimIds[0]].isRecord;
  const innerShape = (v: Nc3Var) =>
    v.dimIds.filter((_, i) => i > 0 || !isRecordVar(v)).map((id) => header.dims[id].length);
  const innerBytes = (v: Nc3Var) => {
    const bytes = innerShape(v).reduce((a, b) => a * b, v.type.size);
    if (!Number.isSafeInteger(bytes)) fail(v, `shape [${innerShape(v)}] is absurd`);
    return bytes;
  };
  const pad4 = (n: number) => n + ((4 - (n % 4)) % 4);

  // the record size, as the netCDF library computes it: padded sizes, except that a lone
  // record variable is not padded
  const recordVars = header.vars.filter(isRecordVar);
  let recordStride = recordVars.reduce((sum, v) => sum + pad4(innerBytes(v)), 0);
  if (recordVars.length > 0 && recordStride === pad4(innerBytes(recordVars[0])))
    recordStride = innerBytes(recordVars[0]);
  const firstRecord = Math.min(...recordVars.map((v) => v.begin));
  const numrecs =
    header.numrecs ??
    (recordVars.length > 0 && recordStride > 0
      ? Math.floor(Math.max(0, fileSize - firstRecord) / recordStride)
      : 0);

  const layouts = new Map<string, Nc3Layout>();
  for (const v of header.vars) {
    const record = isRecordVar(v);
    const inner = innerShape(v);
    const bytes = innerBytes(v);
    const shape = record ? [numrecs, ...inner] : inner;
    const end = record
      ? numrecs > 0
        ? v.begin + (numrecs - 1) * recordStride + bytes
        : v.begin
      : v.begin + bytes;
    if (bytes > 0 && v.begin < header.size)
      fail(v, `data offset ${v.begin} lies inside the header (${header.size} bytes)`);
    if (end > fileSize)
      fail(
        v,
        `its data (bytes ${v.begin}..${end}) lies past the end of the file (${fileSize} bytes): truncated file or corrupt header`,
      );
    const innerStrides = stridesOf(inner).map((s) => s * v.type.size);
    layouts.set(v.name, {
      shape,
      dims: v.dimIds.map((id) => header.dims[id].name),
      type: v.type,
      begin: v.begin,
      byteStrides: record ? [recordStride, ...innerStrides] : innerStrides,
      recordStride: record ? recordStride : undefined,
      chunkShape: nc3ChunkShape(
        inner,
        v.type.size,
        chunkBytes,
        record ? { count: numrecs, stride: recordStride } : undefined,
      ),
    });
  }
  return layouts;
}

/**
 * The virtual chunk shape of a variable whose non-record shape is `inner`: inner dimensions
 * cut into contiguous pieces of a few MB, and for a record variable as many records per chunk
 * as fit in that many bytes of records (one when a record is large), so that every chunk is
 * one read of at most about `chunkBytes`.
 */
export function nc3ChunkShape(
  inner: readonly number[],
  itemSize: number,
  chunkBytes: number,
  records?: { count: number; stride: number },
): number[] {
  const chunk = contiguousChunkShape(inner, itemSize, chunkBytes);
  if (!records) return chunk;
  const perChunk = Math.floor(chunkBytes / Math.max(records.stride, 1));
  return [Math.max(1, Math.min(records.count, perChunk)), ...chunk];
}
