import type { Attrs } from "../../array/chunked-array.js";
import type { Filter } from "h5wasm/node";

/** HDF5 filter ids of compressors, by the names `dae info` shows. */
const COMPRESSORS: Record<number, string> = {
  1: "zlib",
  4: "szip",
  307: "bzip2",
  32001: "blosc",
  32004: "lz4",
  32015: "zstd",
};
const OTHER_FILTERS: Record<number, string> = {
  2: "shuffle",
  3: "fletcher32",
  5: "nbit",
  6: "scaleoffset",
};

/** Filters of registered plugins (HDF Group's list) that the HDF5 build we use lacks. */
const PLUGIN_FILTERS: Record<number, string> = {
  305: "LZO",
  307: "bzip2",
  32000: "LZF",
  32001: "blosc",
  32004: "LZ4",
  32008: "bitshuffle",
  32013: "zfp",
  32015: "zstd",
  32017: "SZ",
  32026: "blosc2",
};

/** The filters HDF5 itself carries (h5wasm has no plugins). */
const BUILT_IN_FILTERS = new Set([1, 2, 3, 4, 5, 6]);

/**
 * The first filter of a dataset's pipeline that cannot be decoded here, named: "filter 32004
 * (LZ4)". HDF5 would fail on the first read with a path in the WebAssembly build's plugin
 * folder that names no filter.
 */
export function missingFilter(filters: readonly Filter[]): string | undefined {
  const f = filters.find((f) => !BUILT_IN_FILTERS.has(f.id));
  if (!f) return undefined;
  const name = PLUGIN_FILTERS[f.id] ?? (f.name || "unregistered");
  return `filter ${f.id} (${name})`;
}

/**
 * Storage facts of a dataset for `dae info`: layout, chunk shape, compressor (with its level
 * for zlib) and the other filters in pipeline order.
 */
export function hdf5Encoding(
  format: string,
  chunks: readonly number[] | null,
  filters: readonly Filter[],
): Attrs {
  const compressor = filters.find((f) => f.id in COMPRESSORS);
  return {
    format,
    layout: chunks ? "chunked" : "contiguous",
    ...(chunks ? { chunks: [...chunks] } : {}),
    compressor: compressor ? COMPRESSORS[compressor.id] : "none",
    ...(compressor?.id === 1 && compressor.cd_values.length > 0
      ? { level: compressor.cd_values[0] }
      : {}),
    filters: filters
      .filter((f) => f !== compressor)
      .map((f) => OTHER_FILTERS[f.id] ?? f.name ?? `filter ${f.id}`),
    order: "C",
  };
}
