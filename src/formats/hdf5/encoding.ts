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
