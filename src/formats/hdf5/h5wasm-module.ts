import { FormatError } from "../../util/errors.js";

/** The h5wasm library (its node build) and its wasm module. */
export type H5wasm = typeof import("h5wasm/node");
export type H5Module = Awaited<H5wasm["ready"]>;
export interface H5 {
  readonly lib: H5wasm;
  readonly module: H5Module;
}

let loading: Promise<H5> | undefined;

/**
 * Loads h5wasm's node build once per thread (its wasm module is a singleton that every open
 * file shares). That build is compiled with Emscripten's NODERAWFS: HDF5's POSIX reads go
 * straight to the host file system as positioned `fs.readSync` calls, so a file is read
 * where HDF5 needs it (superblock, B-trees, the chunks of a hyperslab) and never loaded
 * whole into memory, with no FS mount or copy on our side.
 *
 * HDF5's error stack is switched to h5wasm's throwing handler, so a failed call throws (and
 * prints nothing) instead of returning a status that h5wasm's `slice` would ignore.
 */
export function loadH5wasm(): Promise<H5> {
  loading ??= (async () => {
    const lib = await import("h5wasm/node");
    const module = await lib.ready;
    module.activate_throwing_error_handler();
    return { lib, module };
  })();
  return loading;
}

/**
 * An error thrown by HDF5 as a one-line `FormatError`: `where` (file, variable, chunk) and
 * the innermost message of HDF5's error stack (e.g. "truncated file: eof = 1000000, ...").
 */
export function hdf5Error(e: unknown, where: string): FormatError {
  const text = e instanceof Error ? e.message : String(e);
  const causes = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.*)$/gm)].map((m) => m[1].trim());
  const why = causes.length > 0 ? causes[causes.length - 1] : text.split("\n")[0].trim();
  if (why === "file signature not found")
    return new FormatError(`${where}: not an HDF5 or NetCDF-4 file (no HDF5 signature)`, {
      cause: e,
    });
  return new FormatError(`${where}: HDF5: ${why}`, { cause: e });
}
