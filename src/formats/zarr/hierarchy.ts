import type { Store } from "../../storage/store.js";
import { joinKey } from "../../storage/keys.js";
import { FormatError } from "../../util/errors.js";
import { MAX_CONSOLIDATED_BYTES, readJson, type Json } from "./json.js";

/** One node of a Zarr hierarchy with its metadata documents (`.zarray`, `.zattrs` / `zarr.json`). */
export interface ZarrNode {
  zarrFormat: 2 | 3;
  kind: "array" | "group";
  /** Metadata documents by file name. */
  docs: Record<string, Json>;
}

/** A node found under a group, with its path relative to that group (`a/b`). */
export interface ChildNode extends ZarrNode {
  path: string;
}

/** Reads the node at `key` (of `zarrFormat`, or whichever is there, v3 first); undefined when none. */
export async function readNode(
  store: Store,
  key: string,
  zarrFormat?: 2 | 3,
): Promise<ZarrNode | undefined> {
  if (zarrFormat !== 2) {
    const meta = await readJson(store, joinKey(key, "zarr.json"));
    if (meta) {
      if (meta.node_type !== "array" && meta.node_type !== "group")
        throw new FormatError(
          `${store.url}/${joinKey(key, "zarr.json")}: node_type must be "array" or "group"`,
        );
      return { zarrFormat: 3, kind: meta.node_type, docs: { "zarr.json": meta } };
    }
    if (zarrFormat === 3) return undefined;
  }
  const [zarray, zgroup, zattrs] = await Promise.all(
    [".zarray", ".zgroup", ".zattrs"].map((name) => readJson(store, joinKey(key, name))),
  );
  const attrs = { ".zattrs": zattrs ?? {} };
  if (zarray) return { zarrFormat: 2, kind: "array", docs: { ".zarray": zarray, ...attrs } };
  if (zgroup) return { zarrFormat: 2, kind: "group", docs: { ".zgroup": zgroup, ...attrs } };
  return undefined;
}

/**
 * Every node under the group at `path`, recursively. Where a group carries consolidated
 * metadata (`.zmetadata` in v2, `consolidated_metadata` in its zarr.json in v3) and
 * `useConsolidated` is set, its subtree comes from there without further reads.
 */
export async function listNodes(
  store: Store,
  path: string,
  group: ZarrNode,
  useConsolidated: boolean,
): Promise<ChildNode[]> {
  if (useConsolidated) {
    const consolidated = await readConsolidated(store, path, group);
    if (consolidated) return consolidated;
  }
  const out: ChildNode[] = [];
  const names = (await store.list(path))
    .filter((n) => !n.startsWith(".") && n !== "zarr.json")
    .sort();
  for (const name of names) {
    const node = await readNode(store, joinKey(path, name), group.zarrFormat);
    if (!node) continue;
    out.push({ ...node, path: name });
    if (node.kind === "group")
      for (const child of await listNodes(store, joinKey(path, name), node, useConsolidated))
        out.push({ ...child, path: `${name}/${child.path}` });
  }
  return out;
}

async function readConsolidated(
  store: Store,
  path: string,
  group: ZarrNode,
): Promise<ChildNode[] | undefined> {
  if (group.zarrFormat === 3) {
    const where = `${store.url}/${joinKey(path, "zarr.json")}: consolidated_metadata`;
    const inline = (group.docs["zarr.json"].consolidated_metadata as Json | null | undefined)
      ?.metadata;
    if (!inline) return undefined;
    return Object.entries(jsonObject(inline, where)).map(([p, meta]) => {
      const doc = jsonObject(meta, `${where} of "${p}"`);
      return {
        zarrFormat: 3,
        kind: doc.node_type === "array" ? "array" : "group",
        docs: { "zarr.json": doc },
        path: p,
      };
    });
  }
  const where = `${store.url}/${joinKey(path, ".zmetadata")}`;
  const zmetadata = await readJson(store, joinKey(path, ".zmetadata"), MAX_CONSOLIDATED_BYTES);
  if (!zmetadata?.metadata) return undefined;
  const docs = jsonObject(zmetadata.metadata, where);
  const out: ChildNode[] = [];
  for (const key of Object.keys(docs)) {
    const m = /^(.+)\/\.(zarray|zgroup)$/.exec(key);
    if (!m) continue;
    const attrs = jsonObject(docs[`${m[1]}/.zattrs`] ?? {}, `${where}: "${m[1]}/.zattrs"`);
    const doc = jsonObject(docs[key], `${where}: "${key}"`);
    out.push({
      zarrFormat: 2,
      kind: m[2] === "zarray" ? "array" : "group",
      docs: { [`.${m[2]}`]: doc, ".zattrs": attrs },
      path: m[1],
    });
  }
  return out;
}

/** `value` as a JSON object, or a FormatError saying `where` holds something else. */
function jsonObject(value: unknown, where: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new FormatError(`${where} is ${JSON.stringify(value)?.slice(0, 40)}, not a JSON object`);
  return value as Json;
}
