import { createRequire } from "node:module";

/**
 * Loads the optional native addon `name` (one of `native/`, built by `npm ci` with node-gyp
 * where it can be), or returns undefined where it did not build or the environment variable
 * `switchOff` is `0`: the caller then takes its own path without it — slower, same results.
 *
 * @example
 * ```ts
 * const io = optionalAddon<DirectIo>("dae-direct-io", "DAE_DIRECT_IO"); // undefined: page-cache writes
 * ```
 */
export function optionalAddon<T>(name: string, switchOff: string): T | undefined {
  if (process.env[switchOff] === "0") return undefined;
  try {
    return createRequire(import.meta.url)(name) as T;
  } catch {
    return undefined;
  }
}
