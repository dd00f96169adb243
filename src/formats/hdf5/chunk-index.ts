import { closeSync, fstatSync, readSync } from "node:fs";
import { openRegularFileSync } from "../../storage/regular-file.js";

/** Where one stored chunk lies in the file, and which of its filters were skipped. */
export interface StoredChunk {
  address: number;
  size: number;
  /** Bit i set: filter i of the pipeline was not applied to this chunk. */
  filterMask: number;
}

/** A chunked dataset's chunk index: its stored chunks by chunk coordinates. */
export interface ChunkIndex {
  /** Chunk shape in elements, as the file stores it (edge chunks are stored whole). */
  chunkShape: number[];
  elementSize: number;
  chunks: StoredChunks;
}

/**
 * The stored chunks of a chunk grid, by grid cell, in typed arrays: 16 bytes a cell, where a
 * Map of objects took about 100 a chunk (a 2 TB file of 1 MB chunks: 32 MB, not 200 MB, in
 * every thread that reads it).
 */
export class StoredChunks {
  private readonly addresses: Float64Array;
  private readonly sizes: Uint32Array;
  private readonly masks: Uint32Array;
  private readonly strides: number[];
  /** Chunks stored. */
  size = 0;

  constructor(readonly counts: readonly number[]) {
    const cells = counts.reduce((p, q) => p * q, 1);
    if (cells > MAX_CELLS) throw new Unsupported(`${cells} grid cells`);
    this.addresses = new Float64Array(cells).fill(-1);
    this.sizes = new Uint32Array(cells);
    this.masks = new Uint32Array(cells);
    this.strides = counts.map((_, d) => counts.slice(d + 1).reduce((p, q) => p * q, 1));
  }

  private cell(coords: readonly number[]): number {
    let k = 0;
    for (let d = 0; d < this.counts.length; d++) {
      if (!(coords[d] >= 0 && coords[d] < this.counts[d])) return -1;
      k += coords[d] * this.strides[d];
    }
    return k;
  }

  set(coords: readonly number[], chunk: StoredChunk): void {
    const k = this.cell(coords);
    if (k < 0) throw new RangeError(`a chunk at [${coords}], outside the grid`);
    if (this.addresses[k] < 0) this.size++;
    this.addresses[k] = chunk.address;
    this.sizes[k] = chunk.size;
    this.masks[k] = chunk.filterMask;
  }

  /** The chunk at `coords`, or undefined where none is stored. */
  get(coords: readonly number[]): StoredChunk | undefined {
    const k = coords.length === this.counts.length ? this.cell(coords) : -1;
    if (k < 0 || this.addresses[k] < 0) return undefined;
    return { address: this.addresses[k], size: this.sizes[k], filterMask: this.masks[k] };
  }

  /** The stored chunks in grid (C) order, keyed "i,j,k". */
  *[Symbol.iterator](): IterableIterator<[string, StoredChunk]> {
    for (let k = 0; k < this.addresses.length; k++) {
      if (this.addresses[k] < 0) continue;
      const coords = this.strides.map((s, d) => Math.floor(k / s) % this.counts[d]);
      yield [coords.join(","), this.get(coords)!];
    }
  }
}

/** What this reader does not follow: the caller reads the dataset through HDF5 instead. */
class Unsupported extends Error {}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
// message types (HDF5 file format spec, IV.A.2)
const LINK_INFO = 0x02;
const LAYOUT = 0x08;
const LINK = 0x06;
const CONTINUATION = 0x10;
const SYMBOL_TABLE = 0x11;
/** A B-tree deeper than this is a damaged file, not data. */
const MAX_LEVEL = 32;
/** Grids of more cells than this (128 MB of index) are left to HDF5. */
const MAX_CELLS = 1 << 23;

/**
 * Reads the chunk index of dataset `datasetPath` (e.g. "/tas", "/grp/var") of an HDF5 file
 * from the file's own structures: superblock, groups (symbol tables, compact links, or links
 * in a fractal heap whose name index is one leaf), object headers, the layout message and its
 * version-1 B-tree of chunks — what netCDF-4 and h5py write by default. Returns undefined for
 * anything else (deeper name indexes, the chunk indexes of layout version 4, contiguous data,
 * grids above MAX_CELLS, damaged structures): HDF5 reads those.
 *
 * Why: h5wasm has no call that gives a chunk's address, and reading chunks through it
 * inflates them in wasm, most of a NetCDF-4 read's CPU; with the
 * addresses, chunks are read and inflated by Node's native zlib.
 */
export function readChunkIndex(
  file: string,
  datasetPath: string,
  shape: readonly number[],
): ChunkIndex | undefined {
  let fd: number;
  try {
    fd = openRegularFileSync(file);
  } catch {
    return undefined;
  }
  try {
    return new Hdf5Structure(fd).chunkIndex(datasetPath, shape);
  } catch {
    // a structure it does not follow, or bytes that are not what the spec says: HDF5 reads
    // the dataset, and reports what is wrong with the file in its own words
    return undefined;
  } finally {
    closeSync(fd);
  }
}

interface Message {
  type: number;
  data: Buffer;
}

class Hdf5Structure {
  private readonly fileSize: number;
  private offsetSize = 8;
  private lengthSize = 8;
  private base = 0;

  constructor(private readonly fd: number) {
    this.fileSize = fstatSync(fd).size;
  }

  chunkIndex(datasetPath: string, shape: readonly number[]): ChunkIndex | undefined {
    let header = this.superblock();
    for (const name of datasetPath.split("/").filter(Boolean)) header = this.child(header, name);
    const layout = this.messages(header).find((m) => m.type === LAYOUT);
    if (!layout) throw new Unsupported("no layout message");
    return this.chunkedLayout(layout.data, shape);
  }

  private read(address: number, length: number): Buffer {
    if (address < 0 || length < 0 || address + length > this.fileSize)
      throw new RangeError(`read past the end of the file at ${address}`);
    const buf = Buffer.alloc(length);
    if (readSync(this.fd, buf, 0, length, address) !== length)
      throw new RangeError(`short read at ${address}`);
    return buf;
  }

  /** `length` bytes at `address`, which must start with the 4-byte `signature`. */
  private block(address: number, length: number, signature: string): Buffer {
    const buf = this.read(address, length);
    if (buf.subarray(0, 4).toString("latin1") !== signature)
      throw new RangeError(`no ${signature} at ${address}`);
    return buf;
  }

  private uint(buf: Buffer, at: number, size: number): number {
    if (size === 8) {
      const v = buf.readBigUInt64LE(at);
      if (v === 0xffffffffffffffffn) return -1; // the undefined address
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("address beyond 2^53");
      return Number(v);
    }
    const v = buf.readUIntLE(at, size);
    return v === 2 ** (8 * size) - 1 ? -1 : v;
  }

  private address(buf: Buffer, at: number): number {
    const a = this.uint(buf, at, this.offsetSize);
    return a < 0 ? a : a + this.base;
  }

  /** Finds the superblock; returns the root group's object header address. */
  private superblock(): number {
    for (let at = 0; at + 64 <= this.fileSize; at = at === 0 ? 512 : at * 2) {
      const sb = this.read(at, Math.min(256, this.fileSize - at));
      if (!sb.subarray(0, 8).equals(SIGNATURE)) continue;
      const version = sb[8];
      if (version === 0 || version === 1) {
        this.offsetSize = sb[13];
        this.lengthSize = sb[14];
        const p = version === 0 ? 24 : 28;
        this.base = this.uint(sb, p, this.offsetSize);
        // base, free-space, end-of-file and driver addresses, then the root's symbol table entry
        return this.address(sb, p + 4 * this.offsetSize + this.offsetSize);
      }
      if (version === 2 || version === 3) {
        this.offsetSize = sb[9];
        this.lengthSize = sb[10];
        this.base = this.uint(sb, 12, this.offsetSize);
        return this.address(sb, 12 + 3 * this.offsetSize);
      }
      throw new Unsupported(`superblock version ${version}`);
    }
    throw new Unsupported("no superblock");
  }

  /** The messages of the object header at `address` (version 1 or 2), continuation blocks followed. */
  private messages(address: number): Message[] {
    const first = this.read(address, 16);
    const v2 = first.subarray(0, 4).toString("latin1") === "OHDR";
    let blocks: [number, number][];
    // v2: type (1), size (2), flags (1), creation order (2) if tracked; v1: type (2), size (2), flags, 3 reserved
    let headerSize = 8;
    if (v2) {
      const flags = first[5];
      const p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
      const sizeBytes = 1 << (flags & 3);
      const size = this.read(address + p, sizeBytes).readUIntLE(0, sizeBytes);
      blocks = [[address + p + sizeBytes, size]];
      headerSize = 4 + (flags & 0x04 ? 2 : 0);
    } else {
      if (first[0] !== 1) throw new Unsupported(`object header version ${first[0]}`);
      blocks = [[address + 16, first.readUInt32LE(8)]];
    }
    const out: Message[] = [];
    for (let b = 0; b < blocks.length; b++) {
      if (b > 1000) throw new RangeError("too many continuation blocks");
      const [at, length] = blocks[b];
      const block = this.read(at, length);
      // a v2 continuation block starts with "OCHK" and ends with a checksum
      const framed = v2 && b > 0 ? 4 : 0;
      const end = length - framed;
      for (let q = framed; q + headerSize <= end;) {
        const type = v2 ? block[q] : block.readUInt16LE(q);
        const size = block.readUInt16LE(q + (v2 ? 1 : 2));
        q += headerSize;
        if (q + size > end) throw new RangeError("message past its block");
        const data = block.subarray(q, q + size);
        q += size;
        if (type === CONTINUATION)
          blocks.push([this.address(data, 0), this.uint(data, this.offsetSize, this.lengthSize)]);
        else out.push({ type, data });
      }
    }
    return out;
  }

  /** The object header address of the group's member `name`. */
  private child(group: number, name: string): number {
    const messages = this.messages(group);
    const table = messages.find((m) => m.type === SYMBOL_TABLE);
    if (table)
      return this.symbolTableChild(
        this.address(table.data, 0),
        this.address(table.data, this.offsetSize),
        name,
      );
    for (const m of messages.filter((m) => m.type === LINK)) {
      const link = this.link(m.data);
      if (link.name === name) {
        if (link.address === undefined) throw new Unsupported(`${name} is not a hard link`);
        return link.address;
      }
    }
    // links kept in a fractal heap, indexed by name (groups of more than 8 members by default)
    const info = messages.find((m) => m.type === LINK_INFO);
    if (info) {
      const p = 2 + (info.data[1] & 1 ? 8 : 0);
      const heap = this.address(info.data, p);
      const names = this.address(info.data, p + this.offsetSize);
      if (heap >= 0 && names >= 0) {
        const link = this.denseLinks(heap, names).find((l) => l.name === name);
        if (link?.address !== undefined) return link.address;
      }
    }
    throw new Unsupported(`no member ${name}`);
  }

  /**
   * The links of a group kept in a fractal heap: the records of its name index (a version-2
   * B-tree, here only one whose root is a leaf: groups of up to ~45 members) point into the
   * heap's direct blocks. Deeper trees and heaps are left to HDF5.
   */
  private denseLinks(heapAddress: number, nameIndex: number): { name: string; address?: number }[] {
    const O = this.offsetSize;
    const L = this.lengthSize;
    const h = this.block(heapAddress, 22 + 12 * L + 3 * O + 12, "FRHP");
    const idLength = h.readUInt16LE(5);
    if (h.readUInt16LE(7) !== 0) throw new Unsupported("a filtered fractal heap");
    // (its flags only say whether IDs wrapped and blocks are checksummed: nothing moves)
    const p = 14 + L + O + L + O + 8 * L; // past the managed-space and object counts
    const tableWidth = h.readUInt16LE(p);
    const startBlock = this.uint(h, p + 2, L);
    const maxDirectBlock = this.uint(h, p + 2 + L, L);
    const maxHeapBits = h.readUInt16LE(p + 2 + 2 * L);
    const rootAddress = this.address(h, p + 6 + 2 * L);
    const rootRows = h.readUInt16LE(p + 6 + 2 * L + O);
    const maxManaged = h.readUInt32LE(10);
    // as HDF5 sizes a heap ID's fields (H5HF__hdr_finish_init_phase1)
    const offsetBytes = Math.ceil(maxHeapBits / 8);
    const lengthBytes = Math.min(
      Math.ceil(Math.log2(maxDirectBlock) / 8),
      Math.floor(Math.log2(maxManaged) / 8) + 1,
    );
    // direct blocks: [heap offset, block address, block size]
    const blocks: [number, number, number][] = [];
    if (rootRows === 0) blocks.push([0, rootAddress, startBlock]);
    else {
      const iblock = this.block(
        rootAddress,
        5 + O + offsetBytes + rootRows * tableWidth * O,
        "FHIB",
      );
      let at = 5 + O + offsetBytes;
      let offset = 0;
      for (let row = 0; row < rootRows; row++) {
        const size = row < 2 ? startBlock : startBlock * 2 ** (row - 1);
        if (size > maxDirectBlock) throw new Unsupported("nested indirect blocks");
        for (let col = 0; col < tableWidth; col++, at += O, offset += size) {
          const address = this.address(iblock, at);
          if (address >= 0) blocks.push([offset, address, size]);
        }
      }
    }
    const btree = this.block(nameIndex, 16 + O + 2 + L + 4, "BTHD");
    if (btree[5] !== 5) throw new RangeError("no link name index");
    const recordSize = btree.readUInt16LE(10);
    if (btree.readUInt16LE(12) !== 0)
      throw new Unsupported("a link name index deeper than its root");
    const root = this.address(btree, 16);
    const records = btree.readUInt16LE(16 + O);
    const leaf = this.block(root, 6 + records * recordSize, "BTLF");
    const links: { name: string; address?: number }[] = [];
    for (let r = 0; r < records; r++) {
      const id = leaf.subarray(6 + r * recordSize + 4, 6 + r * recordSize + 4 + idLength);
      if (id[0] >> 4 !== 0) throw new Unsupported("a huge or tiny link object"); // version 0, managed
      const offset = id.readUIntLE(1, offsetBytes);
      const length = id.readUIntLE(1 + offsetBytes, lengthBytes);
      const block = blocks.find(
        ([start, , size]) => offset >= start && offset + length <= start + size,
      );
      if (!block) throw new RangeError("a link outside the heap's blocks");
      links.push(this.link(this.read(block[1] + offset - block[0], length)));
    }
    return links;
  }

  private link(d: Buffer): { name: string; address?: number } {
    const flags = d[1];
    let p = 2;
    const type = flags & 0x08 ? d[p++] : 0;
    if (flags & 0x04) p += 8;
    if (flags & 0x10) p += 1;
    const lengthSize = 1 << (flags & 3);
    const length = d.readUIntLE(p, lengthSize);
    p += lengthSize;
    const name = d.subarray(p, p + length).toString("utf8");
    p += length;
    return { name, address: type === 0 ? this.address(d, p) : undefined };
  }

  private symbolTableChild(btree: number, heap: number, name: string): number {
    const h = this.block(heap, 8 + 2 * this.lengthSize + this.offsetSize, "HEAP");
    const heapData = this.address(h, 8 + 2 * this.lengthSize);
    const heapSize = this.uint(h, 8, this.lengthSize);
    const names = this.read(heapData, heapSize);
    const nameAt = (offset: number) => {
      const end = names.indexOf(0, offset);
      return names.subarray(offset, end < 0 ? names.length : end).toString("utf8");
    };
    const entrySize = 2 * this.offsetSize + 24;
    let found: number | undefined;
    this.walkBTree(btree, 0, this.lengthSize, 0, (leaf) => {
      const node = this.block(leaf, 8, "SNOD");
      const count = node.readUInt16LE(6);
      const entries = this.read(leaf + 8, count * entrySize);
      for (let i = 0; i < count; i++) {
        const e = i * entrySize;
        if (nameAt(this.uint(entries, e, this.offsetSize)) === name)
          found = this.address(entries, e + this.offsetSize);
      }
    });
    if (found === undefined) throw new Unsupported(`no member ${name}`);
    return found;
  }

  /**
   * Visits the children of the version-1 B-tree at `address` whose node type is `type`, at
   * level 0, with each child's key (`keySize` bytes): depth first, in key order.
   */
  private walkBTree(
    address: number,
    type: number,
    keySize: number,
    level: number,
    visit: (child: number, key: Buffer) => void,
    seen = new Set<number>(),
  ): void {
    // a damaged tree may point back into itself: each node is read once, or the file is wrong
    if (level > MAX_LEVEL || seen.has(address))
      throw new RangeError("a B-tree too deep, or with a cycle");
    seen.add(address);
    const head = this.block(address, 8 + 2 * this.offsetSize, "TREE");
    if (head[4] !== type) throw new RangeError("a B-tree node of another type");
    const nodeLevel = head[5];
    const used = head.readUInt16LE(6);
    const stride = keySize + this.offsetSize;
    const body = this.read(address + 8 + 2 * this.offsetSize, used * stride + keySize);
    for (let i = 0; i < used; i++) {
      const key = body.subarray(i * stride, i * stride + keySize);
      const child = this.address(body, i * stride + keySize);
      if (nodeLevel === 0) visit(child, key);
      else this.walkBTree(child, type, keySize, level + 1, visit, seen);
    }
  }

  private chunkedLayout(d: Buffer, shape: readonly number[]): ChunkIndex | undefined {
    const version = d[0];
    if (version !== 3) throw new Unsupported(`layout message version ${version}`);
    if (d[1] !== 2) return undefined; // compact or contiguous
    const dims = d[2];
    const btree = this.address(d, 3);
    const sizes: number[] = [];
    for (let i = 0; i < dims; i++) sizes.push(d.readUInt32LE(3 + this.offsetSize + 4 * i));
    const chunkShape = sizes.slice(0, -1);
    const elementSize = sizes[dims - 1];
    if (chunkShape.length !== shape.length || chunkShape.some((c) => c < 1))
      throw new RangeError("a chunk shape of another rank");
    const chunks = new StoredChunks(shape.map((n, i) => Math.ceil(n / chunkShape[i])));
    if (btree < 0) return { chunkShape, elementSize, chunks }; // nothing written yet
    this.walkBTree(btree, 1, 8 + 8 * dims, 0, (address, key) => {
      const coords = chunkShape.map((c, i) => Number(key.readBigUInt64LE(8 + 8 * i)) / c);
      if (!coords.every(Number.isInteger)) throw new RangeError("a chunk off the chunk grid");
      chunks.set(coords, { address, size: key.readUInt32LE(0), filterMask: key.readUInt32LE(4) });
    });
    return { chunkShape, elementSize, chunks };
  }
}
