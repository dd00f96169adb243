import type { Attrs, FillValue, WritableChunkedArray } from "../../array/chunked-array.js";
import { arrayClass, isDType, type DType } from "../../array/dtype.js";
import type { Store } from "../../storage/store.js";
import { joinKey } from "../../storage/keys.js";
import { InputError } from "../../util/errors.js";
import { v2DTypeString } from "./dtypes.js";
import { fillValueFits, fillValueJson } from "./fill-value.js";
import { listNodes, readNode } from "./hierarchy.js";
import { encodeJson, type Json } from "./json.js";
import { parseV2Array, parseV3Array } from "./metadata.js";
import { ZarrArray } from "./zarr-array.js";
import { zarrWhere } from "./where.js";

/** How to create a Zarr array. */
export interface ZarrArrayOptions {
  shape: number[];
  dtype: DType;
  dims: string[];
  chunks: number[];
  /** Shard shape (v3 only; a multiple of `chunks`): each key then holds one shard. */
  shards?: number[];
  fillValue: FillValue;
  attrs?: Attrs;
  /** Default `zstd`. */
  compressor?: "zstd" | "blosc" | "gzip" | "zlib" | "lz4" | "none";
  /** Default 3. */
  zarrFormat?: 2 | 3;
  /**
   * Default true: groups above the array that are missing are created. False leaves them
   * (the root's too) to `finishZarrStore`, after the data: a store being written then has no
   * root metadata, so it cannot look complete, even to a run killed and resumed.
   */
  parentGroups?: boolean;
}

/** Compressor settings as v2 `compressor` objects and v3 codecs. */
const COMPRESSORS = {
  // level 1, numcodecs' default: 3× faster to write than level 3, chunks of floats ~2% larger
  zstd: {
    v2: { id: "zstd", level: 1 },
    v3: { name: "zstd", configuration: { level: 1, checksum: false } },
  },
  blosc: {
    v2: { id: "blosc", cname: "zstd", clevel: 5, shuffle: 1, blocksize: 0 },
    v3: {
      name: "blosc",
      configuration: { cname: "zstd", clevel: 5, shuffle: "shuffle", blocksize: 0 },
    },
  },
  gzip: { v2: { id: "gzip", level: 5 }, v3: { name: "gzip", configuration: { level: 5 } } },
  zlib: {
    v2: { id: "zlib", level: 5 },
    v3: { name: "numcodecs.zlib", configuration: { level: 5 } },
  },
  lz4: {
    v2: { id: "lz4", acceleration: 1 },
    v3: { name: "numcodecs.lz4", configuration: { acceleration: 1 } },
  },
  none: { v2: null, v3: null },
} as const;

/**
 * Creates (or replaces the metadata of) a Zarr array at `path` and returns it for writing.
 * For a sharded array the returned grid is the shard grid: each `writeChunk` writes one
 * whole shard; `encoding.chunks` gives the inner chunk shape.
 *
 * @example
 * ```ts
 * const a = await createZarrArray(store, "t2m", { shape: [365, 180, 360], dtype: "float32", dims: ["time", "lat", "lon"],
 *   chunks: [30, 90, 90], shards: [90, 180, 360], fillValue: NaN });
 * await a.writeChunk([0, 0, 0], data);
 * ```
 */
export async function createZarrArray(
  store: Store,
  path: string,
  options: ZarrArrayOptions,
): Promise<WritableChunkedArray> {
  const key = joinKey(...path.split("/"));
  const where = zarrWhere(store.url, key);
  const format = options.zarrFormat ?? 3;
  const { shape, chunks, shards, dtype, dims, fillValue } = options;
  const compressor = options.compressor ?? "zstd";
  const bad = (why: string) => new InputError(`${where}: ${why}`);
  if (!isDType(dtype)) throw bad(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0))
    throw bad(`shape [${shape}] must be integers >= 0`);
  if (chunks.length !== shape.length || !chunks.every((c) => Number.isSafeInteger(c) && c > 0))
    throw bad(`chunks [${chunks}] must be ${shape.length} integers > 0`);
  if (dims.length !== shape.length) throw bad(`dims [${dims}] do not match shape [${shape}]`);
  if (!Object.prototype.hasOwnProperty.call(COMPRESSORS, compressor))
    throw bad(`unknown compressor ${JSON.stringify(compressor)}`);
  if (!fillValueFits(fillValue, dtype))
    throw bad(`fill value ${String(fillValue)} does not fit dtype ${dtype}`);
  if (shards) {
    if (format === 2) throw bad("sharding needs Zarr v3");
    if (
      shards.length !== shape.length ||
      !shards.every((s, d) => Number.isSafeInteger(s) && s > 0 && s % chunks[d] === 0)
    )
      throw bad(`shards [${shards}] must be positive multiples of chunks [${chunks}]`);
  }
  if (options.parentGroups ?? true) await createParentGroups(store, key, format);
  const attrs = options.attrs ?? {};
  const meta =
    format === 2
      ? parseV2Array(
          await writeV2(store, key, options, compressor),
          { ...attrs, _ARRAY_DIMENSIONS: dims },
          where,
        )
      : parseV3Array(await writeV3(store, key, options, compressor), where);
  return new ZarrArray(store, key, meta);
}

async function writeV2(
  store: Store,
  key: string,
  o: ZarrArrayOptions,
  compressor: keyof typeof COMPRESSORS,
): Promise<Json> {
  const zarray = {
    zarr_format: 2,
    shape: o.shape,
    chunks: o.chunks,
    dtype: v2DTypeString(o.dtype),
    compressor: COMPRESSORS[compressor].v2,
    fill_value: fillValueJson(o.fillValue, o.dtype, 2),
    filters: null,
    order: "C",
    dimension_separator: ".",
  };
  await store.delete(joinKey(key, "zarr.json"));
  await store.delete(joinKey(key, ".zgroup"));
  await store.set(
    joinKey(key, ".zattrs"),
    encodeJson({ ...(o.attrs ?? {}), _ARRAY_DIMENSIONS: o.dims }),
  );
  await store.set(joinKey(key, ".zarray"), encodeJson(zarray));
  return zarray;
}

async function writeV3(
  store: Store,
  key: string,
  o: ZarrArrayOptions,
  compressor: keyof typeof COMPRESSORS,
): Promise<Json> {
  const itemsize = arrayClass(o.dtype).BYTES_PER_ELEMENT;
  const bytes =
    itemsize === 1 ? { name: "bytes" } : { name: "bytes", configuration: { endian: "little" } };
  const comp = COMPRESSORS[compressor].v3;
  const blosc =
    comp?.name === "blosc"
      ? {
          ...comp,
          configuration: { ...comp.configuration, typesize: o.dtype === "float16" ? 2 : itemsize },
        }
      : comp;
  const chunkCodecs = blosc ? [bytes, blosc] : [bytes];
  const codecs = o.shards
    ? [
        {
          name: "sharding_indexed",
          configuration: {
            chunk_shape: o.chunks,
            codecs: chunkCodecs,
            index_codecs: [
              { name: "bytes", configuration: { endian: "little" } },
              { name: "crc32c" },
            ],
            index_location: "end",
          },
        },
      ]
    : chunkCodecs;
  const meta = {
    zarr_format: 3,
    node_type: "array",
    shape: o.shape,
    data_type: o.dtype,
    chunk_grid: { name: "regular", configuration: { chunk_shape: o.shards ?? o.chunks } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: fillValueJson(o.fillValue, o.dtype, 3),
    codecs,
    attributes: o.attrs ?? {},
    dimension_names: o.dims,
    storage_transformers: [],
  };
  await Promise.all([".zarray", ".zattrs", ".zgroup"].map((n) => store.delete(joinKey(key, n))));
  await store.set(joinKey(key, "zarr.json"), encodeJson(meta));
  return meta;
}

/** Creates the groups above `key` that do not exist yet, as zarr-python does (xarray needs them in v2). */
async function createParentGroups(store: Store, key: string, zarrFormat: 2 | 3): Promise<void> {
  if (key === "") return;
  const parts = key.split("/").slice(0, -1);
  for (let i = 0; i <= parts.length; i++) {
    const parent = parts.slice(0, i).join("/");
    if (!(await readNode(store, parent, zarrFormat)))
      await createZarrGroup(store, parent, {}, zarrFormat);
  }
}

/** Creates a group at `path` (`.zgroup` + `.zattrs`, or `zarr.json`) with `attrs`. */
export async function createZarrGroup(
  store: Store,
  path: string,
  attrs: Attrs,
  zarrFormat: 2 | 3,
): Promise<void> {
  const key = joinKey(...path.split("/"));
  if (zarrFormat === 2) {
    await store.set(joinKey(key, ".zgroup"), encodeJson({ zarr_format: 2 }));
    await store.set(joinKey(key, ".zattrs"), encodeJson(attrs));
  } else {
    await store.set(
      joinKey(key, "zarr.json"),
      encodeJson({ zarr_format: 3, node_type: "group", attributes: attrs }),
    );
  }
}

/**
 * Writes consolidated metadata for the group at `path`, from what is in the store now:
 * `.zmetadata` (v2, as zarr-python 2 writes it) or `consolidated_metadata` in the group's
 * zarr.json (v3, as zarr-python 3 writes it). Run it after every array's metadata is written.
 */
export async function consolidateMetadata(
  store: Store,
  path: string,
  zarrFormat: 2 | 3,
): Promise<void> {
  const key = joinKey(...path.split("/"));
  const group = await readNode(store, key, zarrFormat);
  if (!group || group.kind !== "group")
    throw new InputError(`${store.url}/${key}: no Zarr v${zarrFormat} group to consolidate`);
  const nodes = await listNodes(store, key, group, false);
  if (zarrFormat === 2) {
    const metadata: Record<string, Json> = {
      ".zgroup": group.docs[".zgroup"],
      ".zattrs": group.docs[".zattrs"],
    };
    for (const n of nodes)
      for (const [name, doc] of Object.entries(n.docs)) metadata[`${n.path}/${name}`] = doc;
    await store.set(
      joinKey(key, ".zmetadata"),
      encodeJson({ metadata, zarr_consolidated_format: 1 }),
    );
    return;
  }
  const metadata: Record<string, Json> = {};
  for (const n of nodes) {
    const doc = { ...n.docs["zarr.json"] };
    if (n.kind === "group") doc.consolidated_metadata = null;
    metadata[n.path] = doc;
  }
  const root = {
    ...group.docs["zarr.json"],
    consolidated_metadata: { kind: "inline", must_understand: false, metadata },
  };
  await store.set(joinKey(key, "zarr.json"), encodeJson(root));
}
