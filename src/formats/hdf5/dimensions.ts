import type { Dataset } from "h5wasm/node";

/** A dataset found in the file, with what naming its dimensions needs. */
export interface DatasetEntry {
  readonly dataset: Dataset;
  /** Absolute HDF5 path, `/grp/var`. */
  readonly path: string;
  readonly shape: readonly number[];
  /** A dimension scale (netCDF-4: a coordinate variable or a dimension without variable). */
  readonly isScale: boolean;
}

/** The last segment of an HDF5 path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function groupOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/**
 * Dimension names for every dataset, by path, with netCDF-4 semantics: an axis with an
 * attached dimension scale takes the scale's name (its dataset name, as the netCDF library
 * does), a scale's own first axis is itself, and any other axis gets a `phony_dim_N` shared
 * by datasets of the same group whose axes have the same length (as netCDF-C and xarray do
 * for plain HDF5 files).
 */
export function dimensionNames(entries: readonly DatasetEntry[]): Map<string, string[]> {
  const phonyByGroup = new Map<string, { name: string; length: number }[]>();
  let phonyCount = 0;
  const out = new Map<string, string[]>();
  for (const e of entries) {
    const phony = phonyByGroup.get(groupOf(e.path)) ?? [];
    phonyByGroup.set(groupOf(e.path), phony);
    const names: string[] = [];
    e.shape.forEach((length, axis) => {
      if (e.isScale && axis === 0) return names.push(baseName(e.path));
      const scales = e.dataset.get_attached_scales(axis);
      if (scales.length > 0) return names.push(baseName(scales[0]));
      let dim = phony.find((p) => p.length === length && !names.includes(p.name));
      if (!dim) phony.push((dim = { name: `phony_dim_${phonyCount++}`, length }));
      return names.push(dim.name);
    });
    out.set(e.path, names);
  }
  return out;
}
