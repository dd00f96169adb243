import type { Store } from "../../storage/store.js";
import { FormatError } from "../../util/errors.js";

/** A JSON object as read from metadata. */
export type Json = Record<string, unknown>;

/** The largest metadata document read (`.zarray`, `.zattrs`, `zarr.json`...): 16 MB. */
export const MAX_METADATA_BYTES = 16 << 20;
/** The largest consolidated metadata (`.zmetadata`, every array's documents in one): 64 MB. */
export const MAX_CONSOLIDATED_BYTES = 64 << 20;

/**
 * Reads and parses the JSON object at `key`, or undefined when the key is absent. A document
 * above `maxBytes` is refused unparsed (no more than that is read): parsing hundreds of MB of
 * JSON takes gigabytes and minutes, and no real metadata is that large.
 */
export async function readJson(
  store: Store,
  key: string,
  maxBytes = MAX_METADATA_BYTES,
): Promise<Json | undefined> {
  const bytes = await store.getRange(key, 0, maxBytes + 1);
  if (!bytes) return undefined;
  const where = `${store.url}/${key}`;
  if (bytes.length > maxBytes)
    throw new FormatError(
      `${where}: metadata larger than ${maxBytes >> 20} MB, more than any real array needs (corrupt or hostile); refused`,
    );
  return parseJson(bytes, where);
}

/** Parses a JSON object, naming `where` when the bytes are not one (NaN/Infinity allowed, as Python writes them). */
export function parseJson(bytes: Uint8Array, where: string): Json {
  const depth = nestingDepth(bytes);
  if (depth > MAX_JSON_DEPTH)
    throw new FormatError(
      `${where}: JSON nested ${depth} levels deep, more than the ${MAX_JSON_DEPTH} any metadata needs (corrupt or hostile); refused`,
    );
  const text = new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      // Python's json writes bare NaN/Infinity (in .zattrs, say): read them as numbers
      value = JSON.parse(
        text.replace(/(?<=[:,[]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"__$1__"'),
        (_k, v) =>
          v === "__NaN__"
            ? NaN
            : v === "__Infinity__"
              ? Infinity
              : v === "__-Infinity__"
                ? -Infinity
                : v,
      );
    } catch (e) {
      throw new FormatError(`${where}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new FormatError(`${where}: expected a JSON object`);
  return value as Json;
}

/**
 * Deeper JSON is refused: JSON.parse takes it, but everything that walks the value afterwards
 * (printing attributes, cloning them to worker threads) recurses and runs out of stack.
 */
const MAX_JSON_DEPTH = 128;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings skipped). */
function nestingDepth(bytes: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Encodes metadata as JSON: non-finite numbers as the strings Zarr uses (`"NaN"`, `"Infinity"`),
 * bigints as exact integer literals.
 */
export function encodeJson(value: unknown): Uint8Array {
  const big: string[] = [];
  const text = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "bigint") return `\u0000big${big.push(v.toString()) - 1}`;
      if (typeof v === "number" && !Number.isFinite(v))
        return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      return v;
    },
    2,
  );
  return new TextEncoder().encode(text.replace(/"\\u0000big(\d+)"/g, (_m, i) => big[Number(i)]));
}
