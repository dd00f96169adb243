import type { Attrs, ChunkedArray } from "../array/chunked-array.js";

/**
 * What a format reader returns: the variables of one file or store as they are stored (no CF
 * decoding), each with its dimension names and attributes. The dataset layer adds labels
 * and CF decoding on top, the same way for every format.
 */
export interface RawDataset {
  /** `zarr-v2`, `zarr-v3`, `netcdf3-classic`, `netcdf3-64bit-offset`, `netcdf4`, `hdf5`, `geotiff`. */
  readonly format: string;
  /** The path or URL opened, for messages. */
  readonly source: string;
  /** Variables by name (for a Zarr group with nested arrays, by path such as `a/b`). */
  readonly variables: Map<string, ChunkedArray>;
  /**
   * Variables found but not readable as numbers (strings, compounds, opaque, vlen...), each
   * with what it is: listed by `dae info` and refused by name when used, never silently absent.
   */
  readonly unsupported?: ReadonlyMap<string, string>;
  /** Global attributes. */
  readonly attrs: Attrs;
  /** Releases file handles. */
  close?(): Promise<void>;
}
