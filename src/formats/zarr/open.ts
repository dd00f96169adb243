import type { Attrs, ChunkedArray } from "../../array/chunked-array.js";
import type { Store } from "../../storage/store.js";
import { joinKey } from "../../storage/keys.js";
import { InputError } from "../../util/errors.js";
import type { RawDataset } from "../raw-dataset.js";
import type { Json } from "./json.js";
import { listNodes, readNode, type ZarrNode } from "./hierarchy.js";
import { parseV2Array, parseV3Array, UnsupportedDTypeError } from "./metadata.js";
import { InnerChunkReader, ZarrArray } from "./zarr-array.js";
import { zarrWhere } from "./where.js";

/**
 * Opens the Zarr group (or array) at `path` in `store`, v2 or v3. Every numeric array under
 * the group is listed, recursively, keyed by its path (`a/b`); arrays of strings or objects
 * are left out. Consolidated metadata is used when present. Sharded arrays are read inner
 * chunk by inner chunk, so their grid is the inner chunk grid.
 *
 * @example
 * ```ts
 * const ds = await openZarr(new FsStore("era.zarr"));
 * const z = ds.variables.get("z")!; // dims from _ARRAY_DIMENSIONS / dimension_names
 * ```
 */
export async function openZarr(store: Store, path = ""): Promise<RawDataset> {
  const key = joinKey(...path.split("/"));
  const where = key ? `${store.url}/${key}` : store.url;
  const node = await readNode(store, key);
  if (!node) throw new InputError(`${where}: not a Zarr store (no zarr.json, .zgroup or .zarray)`);
  const variables = new Map<string, ChunkedArray>();
  const format = `zarr-v${node.zarrFormat}`;
  if (node.kind === "array") {
    const name =
      key.split("/").pop() ||
      store.url
        .replace(/\/+$/, "")
        .split("/")
        .pop()!
        .replace(/\.zarr$/, "");
    variables.set(name, await openArray(store, key, node));
    return { format, source: where, variables, attrs: {} };
  }
  const children = (await listNodes(store, key, node, true)).filter((c) => c.kind === "array");
  const unsupported = new Map<string, string>();
  const arrays = await Promise.all(
    children.map((child) =>
      openArray(store, joinKey(key, child.path), child).catch((e: unknown) => {
        if (!(e instanceof UnsupportedDTypeError)) throw e;
        unsupported.set(child.path, e.what);
        return undefined;
      }),
    ),
  );
  children.forEach((child, i) => {
    const array = arrays[i];
    if (array) variables.set(child.path, array);
  });
  const attrs = (
    node.zarrFormat === 3 ? (node.docs["zarr.json"].attributes ?? {}) : node.docs[".zattrs"]
  ) as Attrs;
  return { format, source: where, variables, unsupported, attrs };
}

/** The array at `key` (an `UnsupportedDTypeError` for a non-numeric one). */
async function openArray(store: Store, key: string, node: ZarrNode): Promise<ChunkedArray> {
  const where = zarrWhere(store.url, key);
  const meta =
    node.zarrFormat === 3
      ? parseV3Array(node.docs["zarr.json"], where)
      : parseV2Array(
          node.docs[".zarray"],
          node.docs[".zattrs"],
          where,
          await v2Separator(store, key, node.docs[".zarray"]),
        );
  return meta.sharding ? new InnerChunkReader(store, key, meta) : new ZarrArray(store, key, meta);
}

/**
 * The chunk key separator of a v2 array whose `.zarray` has no `dimension_separator`: "/" when
 * its first chunk is stored under the nested key (`0/0`, zarr-python's NestedDirectoryStore
 * before 2.8) and not the dotted one, or, that chunk missing, a folder named by a chunk index
 * is listed; else "." (the default). Reading a nested store with
 * dotted keys would find no chunk at all and give fill values everywhere.
 */
async function v2Separator(store: Store, key: string, zarray: Json): Promise<"." | "/"> {
  const ndim = Array.isArray(zarray.shape) ? zarray.shape.length : 0;
  if (zarray.dimension_separator !== undefined || ndim < 2) return ".";
  const first = Array<string>(ndim).fill("0");
  const [dotted, nested] = await Promise.all([
    store.size(joinKey(key, first.join("."))),
    store.size(joinKey(key, ...first)),
  ]);
  if (dotted !== undefined) return ".";
  if (nested !== undefined) return "/";
  // the first chunk is missing (fill): a folder named by a chunk index says nested
  const names = await store.list(key).catch(() => [] as string[]);
  return names.some((n) => /^\d+$/.test(n)) ? "/" : ".";
}

/** Whether `path` in `store` holds a Zarr group or array (v2 or v3). */
export async function isZarr(store: Store, path = ""): Promise<boolean> {
  const key = joinKey(...path.split("/"));
  const sizes = await Promise.all(
    ["zarr.json", ".zgroup", ".zarray"].map((n) => store.size(joinKey(key, n))),
  );
  return sizes.some((s) => s !== undefined);
}
