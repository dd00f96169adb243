import type { ByteSource } from "../../storage/store.js";
import { FormatError } from "../../util/errors.js";

/** What the scan learned about one image file directory (one image of the file). */
export interface IfdSummary {
  offset: number;
  width: number;
  height: number;
  /** NewSubfileType: bit 0 = reduced-resolution (overview), bit 2 = transparency mask. */
  subfileType: number;
}

/** The structure of a TIFF file: byte order, flavour and its chain of IFDs. */
export interface TiffLayout {
  littleEndian: boolean;
  bigTiff: boolean;
  ifds: IfdSummary[];
}

/** Bytes per value of each TIFF field type (TIFF 6 and BigTIFF). */
const FIELD_TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** A cap on the IFD chain, far above any real pyramid, so a crafted chain cannot run forever. */
const MAX_IFDS = 4096;

/**
 * Walks the chain of IFDs and checks that every IFD, and every field value it points to,
 * lies inside the file. geotiff.js trusts these offsets and counts (it allocates a typed
 * array of the claimed count before reading, and follows a looping IFD chain forever), so
 * this small pre-scan is what turns a corrupt or truncated file into a one-line
 * `FormatError` naming the file, before geotiff.js parses anything.
 */
export async function scanTiff(source: ByteSource, size: number): Promise<TiffLayout> {
  const fail = (why: string) => new FormatError(`${source.url}: not a valid TIFF: ${why}`);
  if (size < 8) throw fail(`the file has only ${size} bytes`);
  const header = new DataView(toBuffer(await source.read(0, Math.min(size, 16))));
  const order = header.getUint16(0, false);
  if (order !== 0x4949 && order !== 0x4d4d) throw fail("no II/MM byte-order mark at byte 0");
  const le = order === 0x4949;
  const magic = header.getUint16(2, le);
  if (magic !== 42 && magic !== 43)
    throw fail(`magic number ${magic}, expected 42 (TIFF) or 43 (BigTIFF)`);
  const bigTiff = magic === 43;
  if (bigTiff && (size < 16 || header.getUint16(4, le) !== 8))
    throw fail("a BigTIFF header with an offset size other than 8");
  const readOffset = (view: DataView, at: number) =>
    bigTiff ? safeNumber(view.getBigUint64(at, le)) : view.getUint32(at, le);

  const ifds: IfdSummary[] = [];
  const seen = new Set<number>();
  let offset = readOffset(header, bigTiff ? 8 : 4);
  if (offset === 0) throw fail("the file holds no image (first IFD offset is 0)");
  while (offset !== 0) {
    if (seen.has(offset)) throw fail(`the IFD chain loops back to byte ${offset}`);
    if (ifds.length >= MAX_IFDS) throw fail(`more than ${MAX_IFDS} IFDs`);
    seen.add(offset);
    const where = `IFD ${ifds.length} at byte ${offset}`;
    const countSize = bigTiff ? 8 : 2;
    if (offset + countSize > size)
      throw fail(`${where} lies beyond the end of the file (${size} bytes; truncated?)`);
    const countView = new DataView(toBuffer(await source.read(offset, countSize)));
    const entries = bigTiff
      ? safeNumber(countView.getBigUint64(0, le))
      : countView.getUint16(0, le);
    const entrySize = bigTiff ? 20 : 12;
    const bodyLength = entries * entrySize + (bigTiff ? 8 : 4);
    if (offset + countSize + bodyLength > size)
      throw fail(
        `${where} claims ${entries} entries, which run past the end of the file (${size} bytes; truncated?)`,
      );
    const body = new DataView(toBuffer(await source.read(offset + countSize, bodyLength)));
    const summary: IfdSummary = { offset, width: 0, height: 0, subfileType: 0 };
    for (let e = 0; e < entries; e++) {
      const at = e * entrySize;
      const tag = body.getUint16(at, le);
      const type = body.getUint16(at + 2, le);
      const count = bigTiff
        ? safeNumber(body.getBigUint64(at + 4, le))
        : body.getUint32(at + 4, le);
      const valueAt = at + (bigTiff ? 12 : 8);
      const typeSize = FIELD_TYPE_SIZE[type];
      if (typeSize === undefined) throw fail(`${where}: tag ${tag} has unknown field type ${type}`);
      const bytes = count * typeSize;
      if (bytes > (bigTiff ? 8 : 4)) {
        const dataOffset = readOffset(body, valueAt);
        if (dataOffset + bytes > size)
          throw fail(
            `${where}: tag ${tag} claims ${count} values at byte ${dataOffset}, past the end of the file (${size} bytes; truncated?)`,
          );
      } else if (tag === 254 || tag === 256 || tag === 257) {
        const value =
          type === 3 ? body.getUint16(valueAt, le) : type === 4 ? body.getUint32(valueAt, le) : 0;
        if (tag === 254) summary.subfileType = value;
        else if (tag === 256) summary.width = value;
        else summary.height = value;
      }
    }
    ifds.push(summary);
    offset = readOffset(body, entries * entrySize);
  }
  return { littleEndian: le, bigTiff, ifds };
}

function safeNumber(n: bigint): number {
  // beyond 2^53 no offset or count can be inside a real file: make it fail the bounds checks
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** The exact bytes of `bytes` as an ArrayBuffer (no copy when it already is one whole). */
export function toBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  return bytes.slice().buffer;
}
