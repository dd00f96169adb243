/**
 * How messages name an array of a store: `STORE:path/to/array`, or the store alone for an
 * array at its root (not `STORE:`, which messages made `STORE::`).
 *
 * @example
 * ```ts
 * zarrWhere("data.zarr", "a/b"); // "data.zarr:a/b"
 * ```
 */
export function zarrWhere(url: string, key: string): string {
  return key ? `${url}:${key}` : url;
}
