import type { Dataset, Reference } from "h5wasm/node";

/** A dataset found in the file, with what naming its dimensions needs. */
export interface DatasetEntry {
  readonly dataset: Dataset;
  /** Absolute HDF5 path, `/grp/var`. */
  readonly path: string;
  readonly shape: readonly number[];
  /** The dataset's attributes (h5wasm makes a new object, listing them, on every `attrs`). */
  readonly attrs: Dataset["attrs"];
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
 * does; its path where groups define dimensions of the same name), a scale's own first axis
 * is itself, and any other axis gets a `phony_dim_N` shared
 * by datasets of the same group whose axes have the same length (as netCDF-C and xarray do
 * for plain HDF5 files).
 */
export function dimensionNames(
  entries: readonly DatasetEntry[],
  dereference: (ref: Reference) => string | undefined,
): Map<string, string[]> {
  const phonyByGroup = new Map<string, { name: string; length: number }[]>();
  let phonyCount = 0;
  const scaleOf = scaleResolver(dereference);
  const scalePaths = entries.map((e) => {
    const attached = attachedScales(e, scaleOf);
    return e.shape.map((_, axis) => (e.isScale && axis === 0 ? e.path : attached[axis]));
  });
  const scaleName = scaleNamer(scalePaths.flat().filter((p): p is string => p !== undefined));
  const out = new Map<string, string[]>();
  entries.forEach((e, i) => {
    const phony = phonyByGroup.get(groupOf(e.path)) ?? [];
    phonyByGroup.set(groupOf(e.path), phony);
    const names: string[] = [];
    e.shape.forEach((length, axis) => {
      const scale = scalePaths[i][axis];
      if (scale !== undefined) return names.push(scaleName(scale));
      let dim = phony.find((p) => p.length === length && !names.includes(p.name));
      if (!dim) phony.push((dim = { name: `phony_dim_${phonyCount++}`, length }));
      return names.push(dim.name);
    });
    out.set(e.path, names);
  });
  return out;
}

/**
 * The dimension name of each dimension scale: its dataset name, or, when scales of that name
 * live in several groups (netCDF-4 lets each group define its own `dim`), its path without
 * the leading slash (`g2/dim`) for those outside the root group, so they stay apart.
 */
function scaleNamer(paths: readonly string[]): (path: string) => string {
  const groupsByName = new Map<string, Set<string>>();
  for (const p of paths) {
    const groups = groupsByName.get(baseName(p)) ?? new Set<string>();
    groups.add(groupOf(p));
    groupsByName.set(baseName(p), groups);
  }
  return (p) =>
    groupsByName.get(baseName(p))!.size > 1 && groupOf(p) !== "/" ? p.slice(1) : baseName(p);
}

/** A reference's target path, dereferenced once per distinct target (most share a few scales). */
function scaleResolver(dereference: (ref: Reference) => string | undefined) {
  const paths = new Map<string, string | undefined>();
  return (ref: Reference): string | undefined => {
    const key = Buffer.from(ref.ref_data).toString("hex");
    if (!paths.has(key)) paths.set(key, dereference(ref));
    return paths.get(key);
  };
}

/**
 * The scale attached to each axis, from the dataset's DIMENSION_LIST attribute (a list per
 * axis of object references). HDF5's H5DSget_attached_scales would check each against the
 * scale's REFERENCE_LIST, which lists every dataset using it: quadratic, 136 s for 2,000
 * variables sharing one dimension.
 */
function attachedScales(
  e: DatasetEntry,
  scaleOf: (ref: Reference) => string | undefined,
): (string | undefined)[] {
  const list = e.attrs.DIMENSION_LIST;
  // without the attribute HDF5 is cheap to ask (no scale to scan), and asking decodes every
  // attribute message: a damaged one is an error rather than an attribute silently missing
  if (!list) return e.shape.map((_, axis) => e.dataset.get_attached_scales(axis)[0]);
  const refs = list.value as unknown;
  if (!Array.isArray(refs)) return [];
  return refs.map((axis: unknown) => {
    const first = (Array.isArray(axis) ? axis[0] : axis) as Reference | undefined;
    return first && first.ref_data ? scaleOf(first) : undefined;
  });
}
