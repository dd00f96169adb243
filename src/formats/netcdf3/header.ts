import type { AttrValue, Attrs } from "../../array/chunked-array.js";
import type { ByteSource } from "../../storage/store.js";
import { FormatError } from "../../util/errors.js";
import { ncType, readValue, type NcType } from "./nc-types.js";

/** A dimension of a NetCDF-3 file. The record (unlimited) dimension has `isRecord`. */
export interface Nc3Dim {
  readonly name: string;
  readonly length: number;
  readonly isRecord: boolean;
}

/** A variable as the header describes it. */
export interface Nc3Var {
  readonly name: string;
  readonly dimIds: readonly number[];
  readonly attrs: Attrs;
  readonly type: NcType;
  /** Byte offset of its data (of its first record, for a record variable). */
  readonly begin: number;
}

/** The parsed header of a NetCDF-3 file (classic, 64-bit offset or CDF-5). */
export interface Nc3Header {
  /** 1 classic, 2 64-bit offset, 5 64-bit data (CDF-5). */
  readonly version: 1 | 2 | 5;
  /** Number of records, or undefined when the header says "streaming" (count from the file size). */
  readonly numrecs: number | undefined;
  readonly dims: readonly Nc3Dim[];
  readonly attrs: Attrs;
  readonly vars: readonly Nc3Var[];
  /** Bytes the header takes. */
  readonly size: number;
}

const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;
/** NC_MAX_NAME of the netCDF library: no writer makes longer names. */
const MAX_NAME = 256;
/** NC_MAX_VAR_DIMS of the netCDF library. */
const MAX_VAR_DIMS = 1024;
const FIRST_READ = 64 << 10;
/**
 * A larger header is refused unread: its counts are checked against the file's size, but a
 * sparse file of gigabytes would let an attribute claim hundreds of millions of values.
 */
const MAX_HEADER_BYTES = 64 << 20;

/** Thrown by the parser when the header goes past the bytes read so far. */
class NeedMoreBytes {
  constructor(readonly upTo: number) {}
}

/**
 * Reads and parses the header of a NetCDF-3 file with bounded positioned reads: 64 KiB first,
 * then twice as much as needed until the header fits (never more than the file).
 * Throws a one-line `FormatError` naming the file for a bad magic, a truncated header or
 * counts and sizes the file cannot hold.
 */
export async function readNetcdf3Header(source: ByteSource): Promise<Nc3Header> {
  const fileSize = await source.size();
  let length = Math.min(FIRST_READ, fileSize);
  for (;;) {
    const bytes = await source.read(0, length);
    try {
      return parseNetcdf3Header(bytes, fileSize, source.url);
    } catch (e) {
      if (!(e instanceof NeedMoreBytes)) throw e;
      if (length >= fileSize)
        throw new FormatError(
          `${source.url}: NetCDF-3 header is truncated (file ends at byte ${fileSize})`,
        );
      if (e.upTo > MAX_HEADER_BYTES)
        throw new FormatError(
          `${source.url}: NetCDF-3 header needs more than ${MAX_HEADER_BYTES >> 20} MB (byte ${e.upTo}), more than any real file's metadata (corrupt or hostile); refused`,
        );
      length = Math.min(fileSize, MAX_HEADER_BYTES, Math.max(2 * length, 2 * e.upTo));
    }
  }
}

/**
 * Parses a NetCDF-3 header from its first bytes (`bytes`, a prefix of a file of `fileSize`
 * bytes). Throws `NeedMoreBytes` when the prefix is too short.
 */
function parseNetcdf3Header(bytes: Uint8Array, fileSize: number, url: string): Nc3Header {
  const fail = (what: string): never => {
    // names come from the file: a corrupt one may hold control characters (newlines)
    throw new FormatError(`${url}: ${what.replace(/\p{Cc}/gu, "?")}`);
  };
  if (
    bytes.length < 4 ||
    bytes[0] !== 0x43 ||
    bytes[1] !== 0x44 ||
    bytes[2] !== 0x46 ||
    ![1, 2, 5].includes(bytes[3])
  ) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    fail(
      `not a NetCDF-3 file (magic bytes ${magic || "missing"}, expected "CDF" and version 1, 2 or 5)`,
    );
  }
  const version = bytes[3] as 1 | 2 | 5;
  const wide = version === 5; // CDF-5: counts and sizes are 64-bit
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 4;

  const need = (n: number) => {
    if (pos + n > bytes.length) {
      if (pos + n > fileSize)
        fail(`NetCDF-3 header is truncated (it needs byte ${pos + n}, the file has ${fileSize})`);
      throw new NeedMoreBytes(pos + n);
    }
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos);
    pos += 4;
    return v;
  };
  const u64 = (what: string) => {
    need(8);
    const v = view.getBigUint64(pos);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`header: ${what} ${v} is absurd`);
    return Number(v);
  };
  /** A count or size: 32-bit, 64-bit in CDF-5. */
  const nonNeg = (what: string) => {
    const v = wide ? u64(what) : u32();
    if (!wide && v > 0x7fffffff) fail(`header: ${what} ${v} is negative`);
    return v;
  };
  const offset = (what: string) => (version === 1 ? u32() : u64(what));
  /** A count of items of at least `minBytes` each, checked against what is left of the file. */
  const count = (what: string, minBytes: number) => {
    const n = nonNeg(`number of ${what}`);
    if (n * minBytes > fileSize - pos)
      fail(
        `header claims ${n} ${what}, more than the rest of the file (${fileSize - pos} bytes) can hold: truncated or corrupt`,
      );
    return n;
  };
  const padded = (n: number) => n + ((4 - (n % 4)) % 4);
  const name = (what: string) => {
    const n = count(`bytes in the name of ${what}`, 1);
    if (n > MAX_NAME)
      fail(
        `header: the name of ${what} is ${n} bytes long, more than NetCDF's ${MAX_NAME}: corrupt`,
      );
    need(padded(n));
    // some writers count a C string's terminating NUL in the length; netCDF-C drops it
    const s = new TextDecoder().decode(bytes.subarray(pos, pos + n)).replace(/\0+$/, "");
    pos += padded(n);
    return s;
  };
  const tagged = (tag: number, what: string, minBytes: number) => {
    const t = u32();
    const n = count(what, minBytes);
    if (t === 0 && n === 0) return 0;
    if (t !== tag) fail(`header: expected the ${what} list (tag ${tag}), found tag ${t}`);
    return n;
  };
  const type = (what: string) => {
    const code = u32();
    const t = ncType(code);
    if (!t || (t.cdf5Only && !wide)) fail(`header: ${what} has unknown type code ${code}`);
    return t!;
  };
  const attributes = (owner: string): Attrs => {
    const attrs: Attrs = {};
    const n = tagged(NC_ATTRIBUTE, `attributes of ${owner}`, 12);
    for (let i = 0; i < n; i++) {
      const key = name(`an attribute of ${owner}`);
      const t = type(`attribute ${owner}.${key}`);
      const len = count(`values in attribute ${owner}.${key}`, t.size);
      need(padded(len * t.size));
      attrs[key] = attributeValue(bytes, view, pos, len, t);
      pos += padded(len * t.size);
    }
    return attrs;
  };

  const numrecs = (() => {
    need(wide ? 8 : 4);
    const raw = wide ? view.getBigUint64(pos) : BigInt(view.getUint32(pos));
    pos += wide ? 8 : 4;
    if (raw === (wide ? 0xffffffffffffffffn : 0xffffffffn)) return undefined; // "streaming": count from the file size
    if (raw > (wide ? BigInt(Number.MAX_SAFE_INTEGER) : 0x7fffffffn))
      fail(`header: number of records ${raw} is absurd`);
    return Number(raw);
  })();

  const dims: Nc3Dim[] = [];
  const ndims = tagged(NC_DIMENSION, "dimensions", 12);
  for (let i = 0; i < ndims; i++) {
    const dimName = name("a dimension");
    const length = nonNeg(`length of dimension ${dimName}`);
    dims.push({ name: dimName, length, isRecord: length === 0 });
  }
  if (dims.filter((d) => d.isRecord).length > 1)
    fail("header declares more than one unlimited (record) dimension");

  const attrs = attributes("the file");

  const vars: Nc3Var[] = [];
  const nvars = tagged(NC_VARIABLE, "variables", 20);
  for (let i = 0; i < nvars; i++) {
    const varName = name("a variable");
    const rank = count(`dimensions of variable ${varName}`, 4);
    if (rank > MAX_VAR_DIMS) fail(`variable ${varName}: header claims ${rank} dimensions`);
    const dimIds: number[] = [];
    for (let d = 0; d < rank; d++) {
      const id = nonNeg(`dimension id of variable ${varName}`);
      if (id >= dims.length)
        fail(
          `variable ${varName}: dimension id ${id} does not exist (the file has ${dims.length})`,
        );
      if (d > 0 && dims[id].isRecord)
        fail(`variable ${varName}: the record dimension ${dims[id].name} is not its first`);
      dimIds.push(id);
    }
    const varAttrs = attributes(varName);
    const varType = type(`variable ${varName}`);
    nonNeg(`vsize of variable ${varName}`); // recomputed from the shape, as the netCDF library does
    const begin = offset(`offset of variable ${varName}`);
    vars.push({ name: varName, dimIds, attrs: varAttrs, type: varType, begin });
  }
  return { version, numrecs, dims, attrs, vars, size: pos };
}

/** An attribute's value: text for `char`, a number for one value, a list of numbers otherwise. */
function attributeValue(
  bytes: Uint8Array,
  view: DataView,
  pos: number,
  len: number,
  type: NcType,
): AttrValue {
  if (type.name === "char")
    return new TextDecoder().decode(bytes.subarray(pos, pos + len)).replace(/\0+$/, "");
  const values: number[] = [];
  for (let i = 0; i < len; i++) values.push(Number(readValue(view, pos + i * type.size, type)));
  return values.length === 1 ? values[0] : values;
}
