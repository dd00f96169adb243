import { sizeOf } from "../../array/chunked-array.js";
import { allocate, type TypedArray } from "../../array/dtype.js";
import type { ByteSource } from "../../storage/store.js";
import type { Nc3Layout } from "./layout.js";
import type { NcType } from "./nc-types.js";

/** What one more read costs, in bytes read (latency of a local read or an HTTP range request). */
const READ_OVERHEAD_BYTES = 256 << 10;
/** A read may fetch unwanted bytes between wanted ones up to this size (or twice the wanted bytes). */
const MAX_SPAN_BYTES = 16 << 20;
const CONCURRENT_READS = 8;

/**
 * Reads the box `[start, stop)` of a variable laid out as `layout`, decoding big-endian values
 * into the dtype's typed array in C order. The box is fetched as a few byte ranges: for each
 * index of the leading axes one range spanning the trailing ones, choosing where to split so
 * that the number of reads and the unwanted bytes read in between are both small.
 */
export async function readStridedBox(
  source: ByteSource,
  layout: Nc3Layout,
  start: readonly number[],
  stop: readonly number[],
): Promise<TypedArray> {
  const { type, byteStrides } = layout;
  const extent = stop.map((s, d) => s - start[d]);
  const out = allocate(type.dtype, sizeOf(extent));
  if (out.length === 0) return out;
  const n = extent.length;
  const split = splitAxis(extent, byteStrides, type.size);
  const spanBytes = spanOf(extent, byteStrides, type.size, split);
  const perRead = sizeOf(extent.slice(split));
  const reads = sizeOf(extent.slice(0, split));
  let base = layout.begin;
  for (let d = 0; d < n; d++) base += start[d] * byteStrides[d];

  let next = 0;
  const worker = async () => {
    while (next < reads) {
      const r = next++;
      let offset = base;
      for (let d = split - 1, rest = r; d >= 0; d--) {
        offset += (rest % extent[d]) * byteStrides[d];
        rest = Math.floor(rest / extent[d]);
      }
      const bytes = await source.read(offset, spanBytes);
      gather(bytes, extent.slice(split), byteStrides.slice(split), type, out, r * perRead);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, reads) }, worker));
  return out;
}

/** Bytes from the first to the last element of one read covering axes `split..` of the box. */
function spanOf(
  extent: readonly number[],
  strides: readonly number[],
  itemSize: number,
  split: number,
): number {
  let span = itemSize;
  for (let d = split; d < extent.length; d++) span += (extent[d] - 1) * strides[d];
  return span;
}

/** The first axis that one read spans, from there to the last: the cheapest that keeps reads bounded. */
function splitAxis(
  extent: readonly number[],
  strides: readonly number[],
  itemSize: number,
): number {
  let best = extent.length === 0 ? 0 : extent.length - 1;
  let bestCost = Infinity;
  for (let split = 0; split < extent.length; split++) {
    const span = spanOf(extent, strides, itemSize, split);
    const wanted = sizeOf(extent.slice(split)) * itemSize;
    if (span > Math.max(MAX_SPAN_BYTES, 2 * wanted)) continue;
    const cost = sizeOf(extent.slice(0, split)) * (READ_OVERHEAD_BYTES + span);
    if (cost < bestCost) {
      bestCost = cost;
      best = split;
    }
  }
  return best;
}

/**
 * Decodes the elements of a box of `extent` (strides `strides` in bytes, the last one the item
 * size) from `bytes` into `out` from `outOffset`, in C order.
 */
function gather(
  bytes: Uint8Array,
  extent: readonly number[],
  strides: readonly number[],
  type: NcType,
  out: TypedArray,
  outOffset: number,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // rows are runs of adjacent values: when the last axis strides over records, a row is one value
  if (extent.length === 0 || strides[strides.length - 1] !== type.size) {
    extent = [...extent, 1];
    strides = [...strides, type.size];
  }
  const n = extent.length;
  const row = extent[n - 1];
  const idx = new Array<number>(n).fill(0);
  let offset = 0;
  let o = outOffset;
  for (;;) {
    decodeRow(view, offset, row, type, out, o);
    o += row;
    let d = n - 2;
    for (; d >= 0; d--) {
      offset += strides[d];
      if (++idx[d] < extent[d]) break;
      offset -= extent[d] * strides[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Decodes `count` consecutive big-endian values of `type` at `offset` into `out[o...]`. */
function decodeRow(
  view: DataView,
  offset: number,
  count: number,
  type: NcType,
  out: TypedArray,
  o: number,
): void {
  const size = type.size;
  switch (type.code) {
    case 1:
      (out as Int8Array).set(new Int8Array(view.buffer, view.byteOffset + offset, count), o);
      return;
    case 2:
    case 7:
      (out as Uint8Array).set(new Uint8Array(view.buffer, view.byteOffset + offset, count), o);
      return;
    case 3:
      for (let i = 0; i < count; i++) (out as Int16Array)[o + i] = view.getInt16(offset + i * size);
      return;
    case 8:
      for (let i = 0; i < count; i++)
        (out as Uint16Array)[o + i] = view.getUint16(offset + i * size);
      return;
    case 4:
      for (let i = 0; i < count; i++) (out as Int32Array)[o + i] = view.getInt32(offset + i * size);
      return;
    case 9:
      for (let i = 0; i < count; i++)
        (out as Uint32Array)[o + i] = view.getUint32(offset + i * size);
      return;
    case 5:
      for (let i = 0; i < count; i++)
        (out as Float32Array)[o + i] = view.getFloat32(offset + i * size);
      return;
    case 6:
      for (let i = 0; i < count; i++)
        (out as Float64Array)[o + i] = view.getFloat64(offset + i * size);
      return;
    case 10:
      for (let i = 0; i < count; i++)
        (out as BigInt64Array)[o + i] = view.getBigInt64(offset + i * size);
      return;
    default:
      for (let i = 0; i < count; i++)
        (out as BigUint64Array)[o + i] = view.getBigUint64(offset + i * size);
  }
}
