import { InputError } from "../util/errors.js";

/**
 * Checks that `key` is a relative key that stays under its store's root and returns it
 * normalised (no empty segments). Refuses `..`, `.`, absolute keys, backslashes and NUL.
 */
export function safeKey(key: string, root: string): string {
  const parts = key.split("/").filter((p) => p !== "");
  const bad =
    key.startsWith("/") ||
    key.includes("\\") ||
    key.includes("\0") ||
    parts.some((p) => p === ".." || p === ".");
  if (bad) throw new InputError(`${root}: key "${key}" leaves the store; refused`);
  return parts.join("/");
}

/** Joins key segments with `/`, skipping empty ones. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}
