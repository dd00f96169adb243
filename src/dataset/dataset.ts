import type { Attrs, ChunkedArray } from "../array/chunked-array.js";
import type { DType } from "../array/dtype.js";
import type { RawDataset } from "../formats/raw-dataset.js";
import { InputError } from "../util/errors.js";
import { decodeCF, type TimeAxis } from "./cf-decode.js";

/** One variable of a dataset: labelled, CF-decoded (unless opened with `decode: false`). */
export interface Variable {
  name: string;
  dims: readonly string[];
  shape: readonly number[];
  /** The dtype of `array` (decoded: packed int16 reads as float32/float64). */
  dtype: DType;
  /** Attributes, without those decoding consumed (xarray's `.attrs`). */
  attrs: Attrs;
  /** Consumed CF attributes, stored dtype and format facts (xarray's `.encoding`). */
  encoding: Attrs;
  /** The values to compute with (decoded lazily, chunk by chunk). */
  array: ChunkedArray;
  /** The values as stored. */
  raw: ChunkedArray;
  /** Set on decoded time axes: `array` holds float64 seconds since 1970-01-01 of `time.calendar`. */
  time?: TimeAxis;
}

/** A file or store opened with labels: variables by name, coordinates, global attributes. */
export interface Dataset {
  /** The reader's format name (`zarr-v2`, `netcdf3-64bit-offset`, `netcdf4`, `geotiff`...). */
  format: string;
  /** The path or URL opened. */
  source: string;
  variables: Map<string, Variable>;
  /**
   * Names of coordinate variables: 1-D variables named like their dimension, plus names listed
   * in a `coordinates` attribute.
   */
  coords: string[];
  attrs: Attrs;
  /** Variables that cannot be read as numbers, with what they are (`RawDataset.unsupported`). */
  unsupported: ReadonlyMap<string, string>;
  /** Releases file handles. */
  close(): Promise<void>;
}

/** Options of `datasetFromRaw` and `open`. */
export interface DatasetOptions {
  /** Apply CF decoding (default true); false gives the stored values and attributes. */
  decode?: boolean;
}

/** Labels a format reader's variables and CF-decodes them (lazily). */
export function datasetFromRaw(raw: RawDataset, options: DatasetOptions = {}): Dataset {
  const decode = options.decode ?? true;
  // xarray's zarr backend treats a v2 fill_value as _FillValue; v3 fill values only say what
  // a missing chunk holds (missing data is marked by a _FillValue attribute)
  const fillValueIsMissing = raw.format === "zarr-v2";
  const netcdfDefaultFill = raw.format.startsWith("netcdf");
  const variables = new Map<string, Variable>();
  for (const [name, array] of raw.variables) {
    const decoded = decode
      ? decodeCF(array, { fillValueIsMissing, netcdfDefaultFill })
      : { array, attrs: array.attrs, encoding: { ...(array.encoding ?? {}) } };
    variables.set(name, {
      name,
      dims: array.dims,
      shape: array.shape,
      dtype: decoded.array.dtype,
      attrs: decoded.attrs,
      encoding: decoded.encoding,
      array: decoded.array,
      raw: array,
      ...("time" in decoded && decoded.time ? { time: decoded.time } : {}),
    });
  }
  return {
    format: raw.format,
    source: raw.source,
    variables,
    coords: coordinateNames(variables),
    attrs: raw.attrs,
    unsupported: raw.unsupported ?? new Map(),
    close: async () => raw.close?.(),
  };
}

function coordinateNames(variables: Map<string, Variable>): string[] {
  const names = new Set<string>();
  for (const v of variables.values())
    if (v.dims.length === 1 && v.dims[0] === v.name) names.add(v.name);
  for (const v of variables.values()) {
    const listed = v.encoding.coordinates ?? v.attrs.coordinates;
    if (typeof listed !== "string") continue;
    for (const name of listed.split(/\s+/)) if (variables.has(name)) names.add(name);
  }
  return [...names];
}

/** The variable `name` of `dataset`, or an `InputError` listing the ones there are. */
export function getVariable(dataset: Dataset, name: string): Variable {
  const v = dataset.variables.get(name);
  const unsupported = dataset.unsupported.get(name);
  if (!v && unsupported !== undefined) throw unsupportedVariable(dataset.source, name, unsupported);
  if (!v)
    throw new InputError(
      `${dataset.source}: no variable "${name}" (variables: ${[...dataset.variables.keys()].join(", ") || "none"})`,
    );
  return v;
}

/** The one-line refusal of a variable the reader found but cannot read. */
export function unsupportedVariable(source: string, name: string, what: string): InputError {
  return new InputError(`${source}: variable "${name}" is ${what}: not supported`);
}

/** The length of each dimension, as the first variable using it says (for listings and option checks). */
export function dimensionSizes(dataset: Pick<Dataset, "variables">): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const v of dataset.variables.values())
    v.dims.forEach((dim, d) => {
      if (!sizes.has(dim)) sizes.set(dim, v.shape[d]);
    });
  return sizes;
}
