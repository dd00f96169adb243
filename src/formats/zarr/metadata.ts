import type { Attrs, FillValue } from "../../array/chunked-array.js";
import { itemSize, type DType } from "../../array/dtype.js";
import { FormatError } from "../../util/errors.js";
import { parseV2DType, parseV3DType } from "./dtypes.js";
import { parseFillValue } from "./fill-value.js";
import type { Json } from "./json.js";

/** One codec of a v3 codec list (v2 filters and compressors are translated to these). */
export interface CodecSpec {
  name: string;
  configuration?: Json;
}

/** The sharding_indexed codec's settings: inner chunks, their codecs, the index's codecs. */
export interface ShardingSpec {
  chunkShape: number[];
  codecs: CodecSpec[];
  indexCodecs: CodecSpec[];
  indexLocation: "start" | "end";
}

/** Everything we need about one array, from v2 or v3 metadata, validated. */
export interface ArrayMeta {
  zarrFormat: 2 | 3;
  shape: number[];
  /** The shape of what one key holds: a chunk, or a shard when `sharding` is set. */
  keyShape: number[];
  dtype: DType;
  fillValue: FillValue;
  /** Codecs of one chunk (the inner chunks of a sharded array). */
  codecs: CodecSpec[];
  sharding?: ShardingSpec;
  /** The key of stored unit `coords`, relative to the array's folder. */
  chunkKey(coords: readonly number[]): string;
  dims: string[];
  attrs: Attrs;
}

/** Above this many bytes in memory a chunk could not be allocated (typed arrays stop at 2^32 elements). */
const MAX_CHUNK_BYTES = 2 ** 31;

/**
 * Thrown for arrays of valid Zarr dtypes that we do not hold (strings, objects...): openZarr
 * lists them as not readable, with `what` they are.
 */
export class UnsupportedDTypeError extends FormatError {
  override name = "UnsupportedDTypeError";
  constructor(
    message: string,
    readonly what: string,
  ) {
    super(message);
  }
}

/**
 * Parses and validates v2 `.zarray` (+ `.zattrs`) metadata; `where` names the array for errors.
 * `separator` is the chunk key separator the store was found to use, for metadata that does
 * not say (`dimension_separator` came with zarr-python 2.8; nested stores wrote none before).
 */
export function parseV2Array(
  zarray: Json,
  zattrs: Json,
  where: string,
  separator: "." | "/" = ".",
): ArrayMeta {
  const dt = parseV2DType(zarray.dtype);
  if (dt === "unsupported")
    throw new UnsupportedDTypeError(
      `${where}: dtype ${JSON.stringify(zarray.dtype)} is not numeric; not supported`,
      `a Zarr array of dtype ${JSON.stringify(zarray.dtype)}`,
    );
  if (!dt) throw new FormatError(`${where}: unknown dtype ${JSON.stringify(zarray.dtype)}`);
  const shape = intList(zarray.shape, "shape", where, 0);
  const chunks = intList(zarray.chunks, "chunks", where, 1);
  checkShapes(shape, chunks, dt.dtype, where);
  const order = zarray.order ?? "C";
  if (order !== "C" && order !== "F")
    throw new FormatError(`${where}: order must be "C" or "F", got ${JSON.stringify(order)}`);
  const sep = zarray.dimension_separator ?? separator;
  if (sep !== "." && sep !== "/")
    throw new FormatError(`${where}: bad dimension_separator ${JSON.stringify(sep)}`);
  const codecs: CodecSpec[] = [];
  if (order === "F")
    codecs.push({
      name: "transpose",
      configuration: { order: shape.map((_, i) => shape.length - 1 - i) },
    });
  const filters = zarray.filters ?? [];
  if (!Array.isArray(filters)) throw new FormatError(`${where}: filters must be a list or null`);
  for (const f of filters) codecs.push(numcodec(f, where));
  codecs.push({ name: "bytes", configuration: { endian: dt.endian } });
  if (zarray.compressor != null) codecs.push(numcodec(zarray.compressor, where));
  const { _ARRAY_DIMENSIONS, ...attrs } = zattrs;
  return {
    zarrFormat: 2,
    shape,
    keyShape: chunks,
    dtype: dt.dtype,
    fillValue: fill(zarray.fill_value, dt.dtype, where),
    codecs,
    chunkKey: (coords) => (coords.length === 0 ? "0" : coords.join(sep)),
    dims: dimNames(_ARRAY_DIMENSIONS, shape.length),
    attrs: attrs as Attrs,
  };
}

/** A v2 filter or compressor (`{id, ...config}`) as a v3 codec named `numcodecs.<id>`. */
function numcodec(raw: unknown, where: string): CodecSpec {
  if (typeof raw !== "object" || raw === null || typeof (raw as Json).id !== "string")
    throw new FormatError(`${where}: codec ${JSON.stringify(raw)} has no "id"`);
  const { id, ...configuration } = raw as Json;
  return { name: `numcodecs.${id as string}`, configuration };
}

/** Parses and validates a v3 array's `zarr.json`. */
export function parseV3Array(meta: Json, where: string): ArrayMeta {
  const dtype = parseV3DType(meta.data_type);
  if (dtype === "unsupported")
    throw new UnsupportedDTypeError(
      `${where}: data_type ${JSON.stringify(meta.data_type)} is not numeric; not supported`,
      `a Zarr array of data_type ${JSON.stringify(meta.data_type)}`,
    );
  if (!dtype)
    throw new FormatError(`${where}: unknown data_type ${JSON.stringify(meta.data_type)}`);
  const shape = intList(meta.shape, "shape", where, 0);
  const grid = meta.chunk_grid as Json | undefined;
  if (grid?.name !== "regular")
    throw new FormatError(
      `${where}: chunk_grid ${JSON.stringify(grid?.name)} is not supported (only "regular")`,
    );
  const keyShape = intList(
    (grid.configuration as Json | undefined)?.chunk_shape,
    "chunk_shape",
    where,
    1,
  );
  checkShapes(shape, keyShape, dtype, where);
  const codecs = codecList(meta.codecs, where);
  checkTranspose(codecs, shape.length, where);
  const sharding = codecs.find((c) => c.name === "sharding_indexed");
  let shardSpec: ShardingSpec | undefined;
  if (sharding) {
    if (codecs.length !== 1)
      throw new FormatError(
        `${where}: sharding_indexed combined with other codecs is not supported`,
      );
    shardSpec = parseSharding(sharding.configuration ?? {}, keyShape, dtype, where);
  }
  const transformers = meta.storage_transformers;
  if (Array.isArray(transformers) && transformers.length > 0)
    throw new FormatError(`${where}: storage_transformers are not supported`);
  return {
    zarrFormat: 3,
    shape,
    keyShape,
    dtype,
    fillValue: fill(meta.fill_value, dtype, where),
    codecs: shardSpec ? shardSpec.codecs : codecs,
    sharding: shardSpec,
    chunkKey: keyEncoder(meta.chunk_key_encoding, where),
    dims: dimNames(meta.dimension_names, shape.length),
    attrs: (meta.attributes ?? {}) as Attrs,
  };
}

function parseSharding(
  config: Json,
  shardShape: number[],
  dtype: DType,
  where: string,
): ShardingSpec {
  const chunkShape = intList(config.chunk_shape, "sharding chunk_shape", where, 1);
  if (chunkShape.length !== shardShape.length || chunkShape.some((c, d) => shardShape[d] % c !== 0))
    throw new FormatError(
      `${where}: inner chunk shape [${chunkShape}] does not divide shard shape [${shardShape}]`,
    );
  checkChunkSize(chunkShape, dtype, where);
  const perShard = shardShape.reduce((n, s, d) => n * (s / chunkShape[d]), 1);
  if (perShard * 16 > MAX_CHUNK_BYTES)
    throw new FormatError(`${where}: a shard of ${perShard} inner chunks is too large`);
  const location = config.index_location ?? "end";
  if (location !== "start" && location !== "end")
    throw new FormatError(`${where}: bad index_location ${JSON.stringify(location)}`);
  const codecs = codecList(config.codecs, where);
  checkTranspose(codecs, chunkShape.length, where);
  return {
    chunkShape,
    codecs,
    indexCodecs: codecList(
      config.index_codecs ?? [
        { name: "bytes", configuration: { endian: "little" } },
        { name: "crc32c" },
      ],
      where,
    ),
    indexLocation: location,
  };
}

function codecList(raw: unknown, where: string): CodecSpec[] {
  if (!Array.isArray(raw)) throw new FormatError(`${where}: codecs must be a list`);
  return raw.map((c) => {
    if (typeof c === "string") return { name: c };
    if (typeof c !== "object" || c === null || typeof (c as Json).name !== "string")
      throw new FormatError(`${where}: codec ${JSON.stringify(c)} has no "name"`);
    return c as CodecSpec;
  });
}

/** A transpose codec's order must be a permutation of the dims (not "F", as early drafts had it). */
function checkTranspose(codecs: CodecSpec[], ndim: number, where: string): void {
  for (const c of codecs) {
    if (c.name !== "transpose") continue;
    const order = c.configuration?.order;
    const ok =
      Array.isArray(order) &&
      order.length === ndim &&
      [...order].sort().every((axis, i) => axis === i);
    if (!ok)
      throw new FormatError(
        `${where}: transpose order ${JSON.stringify(order)} is not a permutation of the ${ndim} dimensions`,
      );
  }
}

function keyEncoder(raw: unknown, where: string): (coords: readonly number[]) => string {
  const enc = (raw ?? { name: "default" }) as Json;
  const sep = ((enc.configuration as Json | undefined)?.separator ??
    (enc.name === "v2" ? "." : "/")) as string;
  if (sep !== "." && sep !== "/")
    throw new FormatError(`${where}: bad chunk key separator ${JSON.stringify(sep)}`);
  if (enc.name === "default") return (coords) => ["c", ...coords].join(sep);
  if (enc.name === "v2") return (coords) => (coords.length === 0 ? "0" : coords.join(sep));
  throw new FormatError(`${where}: unknown chunk_key_encoding ${JSON.stringify(enc.name)}`);
}

function intList(raw: unknown, what: string, where: string, min: number): number[] {
  if (!Array.isArray(raw) || !raw.every((v) => Number.isSafeInteger(v) && v >= min))
    throw new FormatError(
      `${where}: ${what} must be a list of integers >= ${min}, got ${JSON.stringify(raw)}`,
    );
  return raw as number[];
}

function checkShapes(shape: number[], chunks: number[], dtype: DType, where: string): void {
  if (chunks.length !== shape.length)
    throw new FormatError(`${where}: chunks [${chunks}] do not match shape [${shape}]`);
  if (!Number.isSafeInteger(shape.reduce((n, s) => n * s, 1)))
    throw new FormatError(`${where}: shape [${shape}] has more than 2^53 elements`);
  checkChunkSize(chunks, dtype, where);
}

function checkChunkSize(chunks: number[], dtype: DType, where: string): void {
  const bytes = chunks.reduce((n, s) => n * s, itemSize(dtype));
  if (bytes > MAX_CHUNK_BYTES)
    throw new FormatError(
      `${where}: chunk shape [${chunks}] needs ${bytes} bytes, more than 2 GiB`,
    );
}

function fill(raw: unknown, dtype: DType, where: string): FillValue {
  const value = parseFillValue(raw, dtype);
  if (value === undefined)
    throw new FormatError(
      `${where}: fill_value ${JSON.stringify(raw)} does not fit dtype ${dtype}`,
    );
  return value;
}

/** Dimension names from `_ARRAY_DIMENSIONS`/`dimension_names`, `dim_<i>` where absent. */
function dimNames(raw: unknown, ndim: number): string[] {
  const names = Array.isArray(raw) && raw.length === ndim ? raw : [];
  return Array.from({ length: ndim }, (_, i) =>
    typeof names[i] === "string" ? (names[i] as string) : `dim_${i}`,
  );
}
