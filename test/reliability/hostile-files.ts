import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createDeflate, gzipSync } from "node:zlib";
import { crc32c } from "../../src/formats/zarr/codecs/crc32c.js";
import { createZarrArray, createZarrGroup } from "../../src/formats/zarr/index.js";
import { FsStore } from "../../src/storage/fs-store.js";

/**
 * Makers of hostile files: compression bombs and lying headers for every codec we decode,
 * special files where files are expected, huge and deeply nested metadata, absurd shapes.
 * Each bomb is small on disk and expands (or claims to) far past what its chunk can hold.
 */

/** Decoded size of the real bombs: past the 200 MB a hostile input may make us hold. */
export const BOMB_BYTES = 256 << 20;
/** What the lying headers claim: 3.9 GB. */
export const LIE_BYTES = 3.9e9;

/**
 * A zstd frame of `decoded` zero bytes in RLE blocks (4 bytes per 128 KB), declaring
 * `declare` as its content size (a lie when it differs), or no size at all.
 */
export function zstdFrame(decoded: number, declare?: number): Uint8Array {
  const BLOCK = 1 << 17;
  // magic; then either FCS flag 3 + single segment (an 8-byte size), or no size and a window of 2^17
  const head =
    declare === undefined ? [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38] : [0x28, 0xb5, 0x2f, 0xfd, 0xe0];
  const size = Buffer.alloc(declare === undefined ? 0 : 8);
  if (declare !== undefined) size.writeBigUInt64LE(BigInt(declare));
  const blocks = Buffer.alloc(Math.ceil(decoded / BLOCK) * 4);
  let at = 0;
  for (let left = decoded; left > 0; at += 4) {
    const n = Math.min(BLOCK, left);
    left -= n;
    // block header: last flag, type 1 (RLE), size; then the one repeated byte
    blocks.writeUIntLE((n << 3) | (1 << 1) | (left === 0 ? 1 : 0), at, 3);
  }
  return Buffer.concat([Buffer.from(head), size, blocks.subarray(0, at)]);
}

/** gzip members of zeros, concatenated (gunzip reads them all): `decoded` bytes. */
export function gzipBomb(decoded: number): Uint8Array {
  const member = gzipSync(Buffer.alloc(16 << 20), { level: 9 });
  return Buffer.concat(Array.from({ length: Math.ceil(decoded / (16 << 20)) }, () => member));
}

/** One zlib stream of `decoded` zeros, fed in 16 MB pieces. */
export async function zlibBomb(decoded: number, raw = false): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 1 });
  const out: Buffer[] = [];
  deflate.on("data", (b: Buffer) => out.push(b));
  const piece = Buffer.alloc(16 << 20);
  for (let left = decoded; left > 0; left -= piece.length)
    if (!deflate.write(piece.subarray(0, Math.min(piece.length, left))))
      await new Promise((r) => deflate.once("drain", r));
  await new Promise((r) => deflate.end(r));
  const stream = Buffer.concat(out);
  return raw ? stream.subarray(2, stream.length - 4) : stream;
}

/** PackBits runs of 128 zeros (2 bytes each): `decoded` bytes. */
export function packbitsBomb(decoded: number): Uint8Array {
  const out = Buffer.alloc(Math.ceil(decoded / 128) * 2);
  for (let i = 0; i < out.length; i += 2) out[i] = 0x81; // -127: repeat the next byte 128 times
  return out;
}

/**
 * A TIFF LZW stream (MSB first, code widths grown one code early, as libtiff writes) of at
 * least `decoded` zeros: each code is the dictionary entry being added (a run one zero longer
 * than the last), so ~3,700 codes of 9-12 bits hold 7 MB; then a clear code, and again.
 */
export function lzwBomb(decoded: number): Uint8Array {
  const codes: [number, number][] = [];
  let width = 9;
  let dict = 258;
  let first = true;
  let run = 0;
  const emit = (code: number) => codes.push([code, width]);
  emit(256);
  for (let written = 0; written < decoded; written += run) {
    if (first) {
      emit(0);
      run = 1;
      first = false;
    } else {
      emit(dict++);
      run++;
    }
    if (dict + 1 >= 1 << width && width < 12) width++;
    if (dict >= 4000) {
      emit(256);
      [width, dict, first] = [9, 258, true];
    }
  }
  emit(257);
  const out = Buffer.alloc(Math.ceil(codes.reduce((n, [, w]) => n + w, 0) / 8) + 1);
  let pos = 0;
  for (const [code, w] of codes)
    for (let b = w - 1; b >= 0; b--, pos++) if ((code >> b) & 1) out[pos >> 3] |= 0x80 >> (pos & 7);
  return out;
}

/** A little-endian tiled TIFF of one tile (`size` x `size`, 8-bit unsigned), its data as given. */
export function tiff(options: {
  size: number;
  compression: number;
  tile: Uint8Array;
  samples?: number;
  /** The IFD's next-IFD offset points back to the IFD itself. */
  cycle?: boolean;
}): Uint8Array {
  const { size, compression, tile } = options;
  const samples = options.samples ?? 1;
  const perSample = (v: number) => ({ type: 3, values: Array.from({ length: samples }, () => v) });
  const entries: [number, { type: number; values: number[] }][] = [
    [256, { type: 4, values: [size] }],
    [257, { type: 4, values: [size] }],
    [258, perSample(8)],
    [259, { type: 3, values: [compression] }],
    [262, { type: 3, values: [1] }],
    [277, { type: 3, values: [samples] }],
    [284, { type: 3, values: [1] }],
    [322, { type: 4, values: [size] }],
    [323, { type: 4, values: [size] }],
    [324, { type: 4, values: [0] }], // patched below
    [325, { type: 4, values: [tile.length] }],
    [339, perSample(1)],
  ];
  const ifdAt = 8;
  const ifdBytes = 2 + entries.length * 12 + 4;
  const extra: Buffer[] = [];
  let extraAt = ifdAt + ifdBytes;
  const ifd = Buffer.alloc(ifdBytes);
  ifd.writeUInt16LE(entries.length, 0);
  const dataAt = () => extraAt;
  entries.forEach(([tag, { type, values }], i) => {
    const e = 2 + i * 12;
    const unit = type === 3 ? 2 : 4;
    ifd.writeUInt16LE(tag, e);
    ifd.writeUInt16LE(type, e + 2);
    ifd.writeUInt32LE(values.length, e + 4);
    const bytes = Buffer.alloc(values.length * unit);
    values.forEach((v, k) =>
      unit === 2 ? bytes.writeUInt16LE(v, k * 2) : bytes.writeUInt32LE(v, k * 4),
    );
    if (bytes.length <= 4) bytes.copy(ifd, e + 8);
    else {
      ifd.writeUInt32LE(extraAt, e + 8);
      extra.push(bytes);
      extraAt += bytes.length;
    }
  });
  // the tile's offset: after the IFD and its arrays
  ifd.writeUInt32LE(dataAt(), 2 + 9 * 12 + 8);
  ifd.writeUInt32LE(options.cycle ? ifdAt : 0, 2 + entries.length * 12);
  const header = Buffer.from([0x49, 0x49, 42, 0, ifdAt, 0, 0, 0]);
  return Buffer.concat([header, ifd, ...extra, tile]);
}

/** A Zarr store with one float32 array `a` (64 x 64, chunks 32 x 32, all written); returns its root. */
export async function zarrStore(
  root: string,
  options: {
    compressor: "zstd" | "blosc" | "gzip" | "zlib" | "lz4" | "none";
    zarrFormat: 2 | 3;
    shards?: number[];
  },
): Promise<string> {
  const store = new FsStore(root, true);
  const a = await createZarrArray(store, "a", {
    shape: [64, 64],
    dtype: "float32",
    dims: ["y", "x"],
    chunks: [32, 32],
    fillValue: 0,
    ...options,
  });
  const grid = options.shards ? 64 / options.shards[0] : 2;
  const side = 64 / grid;
  for (let i = 0; i < grid; i++)
    for (let j = 0; j < grid; j++)
      await a.writeChunk([i, j], new Float32Array(side * side).fill(1 + i + j));
  await createZarrGroup(store, "", {}, options.zarrFormat);
  return root;
}

/** The file of chunk (or shard) [0, 0] of `a` in a store made by `zarrStore`. */
export function firstChunk(root: string, zarrFormat: 2 | 3): string {
  return zarrFormat === 2 ? path.join(root, "a", "0.0") : path.join(root, "a", "c", "0", "0");
}

/**
 * Rewrites the shard index (at the end, `bytes` + `crc32c`) of a shard file so that inner
 * chunk 0 claims `length` bytes.
 */
export function lyingShardIndex(shard: Uint8Array, inner: number, length: number): Uint8Array {
  const out = Buffer.from(shard);
  const indexBytes = inner * 16;
  const at = out.length - indexBytes - 4;
  out.writeBigUInt64LE(BigInt(length), at + 8);
  out.writeUInt32LE(crc32c(out.subarray(at, at + indexBytes)), at + indexBytes);
  return out;
}

/**
 * A classic NetCDF-3 file, sparse, of `bytes` bytes, whose header holds one global double
 * attribute of `values` values: every count fits the file, and the header is gigabytes.
 */
export function netcdf3AttributeBomb(file: string, values: number, bytes: number): string {
  const header = Buffer.alloc(40);
  header.write("CDF\x01", 0, "latin1");
  // numrecs 0; no dimensions (ABSENT); global attributes: one, "x", NC_DOUBLE, `values` of them
  [0, 0, 0, 0x0c, 1, 1].forEach((v, i) => header.writeUInt32BE(v, 4 + 4 * i));
  header.write("x", 28, "latin1");
  header.writeUInt32BE(6, 32);
  header.writeUInt32BE(values, 36);
  writeFileSync(file, header);
  truncateSync(file, bytes);
  return file;
}

/** A FIFO at `file` (nothing ever writes to it). */
export function fifo(file: string): string {
  execFileSync("mkfifo", [file]);
  return file;
}

/** A file of `bytes` that takes no disk space (a hole): large metadata without writing it. */
export function sparseFile(file: string, bytes: number, head = "{"): string {
  writeFileSync(file, head);
  truncateSync(file, bytes);
  return file;
}

/** JSON nested `depth` arrays deep. */
export function deepJson(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** A link at `at` to `target` (created folders on the way). */
export function link(target: string, at: string): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at);
}
