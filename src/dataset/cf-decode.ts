import type { AttrValue, Attrs, ChunkedArray, FillValue } from "../array/chunked-array.js";
import {
  allocate,
  arrayClass,
  isFloat,
  isInteger,
  type DType,
  type TypedArray,
} from "../array/dtype.js";
import { InputError } from "../util/errors.js";
import type { Calendar } from "./calendar.js";
import { mapChunks } from "./mapped-array.js";
import { decodeTimeValue, isTimeUnits, timeCoding, type TimeCoding } from "./time-units.js";

/**
 * A decoded time axis: the array holds float64 seconds since 1970-01-01T00:00:00 counted in
 * `calendar` (NaN for missing), which `timeComponents`/`formatTime` turn into dates.
 */
export interface TimeAxis {
  calendar: Calendar;
  /** The stored `units` (e.g. `days since 2000-01-01`), used again when writing. */
  units: string;
}

/** A variable after CF decoding. */
export interface DecodedVariable {
  /** The decoded values, computed chunk by chunk as they are read. */
  array: ChunkedArray;
  /** Attributes without the ones decoding consumed (like xarray's `.attrs`). */
  attrs: Attrs;
  /** The consumed attributes and the stored dtype (like xarray's `.encoding`), plus format facts. */
  encoding: Attrs;
  time?: TimeAxis;
}

/** Options of `decodeCF`. */
export interface DecodeOptions {
  /**
   * Treat the array's stored `fillValue` as `_FillValue` when the attributes have none: true
   * for Zarr, where xarray does the same; NetCDF/HDF5 use the `_FillValue` attribute only.
   */
  fillValueIsMissing?: boolean;
  /**
   * The file is NetCDF: a time variable without `_FillValue` or `missing_value` treats
   * netCDF's default fill of its type as missing (netCDF4-python masks it; without this an
   * int32 time holding -2147483647 decodes to the year -5877530).
   */
  netcdfDefaultFill?: boolean;
}

/** netCDF's default fill values (netcdf.h NC_FILL_*), by stored dtype. */
const NETCDF_DEFAULT_FILL: Partial<Record<DType, number>> = {
  int8: -127,
  uint8: 255,
  int16: -32767,
  uint16: 65535,
  int32: -2147483647,
  uint32: 4294967295,
  // as doubles: -2^63 + 2 and 2^64 - 2 round to -2^63 and 2^64, as the values read do
  int64: -(2 ** 63),
  uint64: 2 ** 64,
  float32: 9.969209968386869e36,
  float64: 9.969209968386869e36,
};

/** Attributes that describe the storage, never shown as attributes (xarray hides them too). */
const HIDDEN_ATTRS = ["_ARRAY_DIMENSIONS"];

/**
 * Applies the CF conventions to a stored array lazily, with xarray 2023.01's rules and order:
 * `_Unsigned`, then `missing_value`/`_FillValue` → NaN (fill values that cannot occur, like NaN
 * on int16, are ignored; int8/int16 become float32, wider ints float64), then
 * `scale_factor`/`add_offset` (float32 for float32 data and for ≤16-bit ints without an
 * offset, float64 otherwise, computed in that precision), then time axes (`units` with
 * "since") to seconds since 1970-01-01 of their calendar.
 *
 * @example
 * ```ts
 * const { array, attrs } = decodeCF(rawZ); // int16 packed → float64 values
 * ```
 */
export function decodeCF(raw: ChunkedArray, options: DecodeOptions = {}): DecodedVariable {
  const attrs: Attrs = { ...raw.attrs };
  for (const name of HIDDEN_ATTRS) delete attrs[name];
  const encoding: Attrs = { ...(raw.encoding ?? {}), dtype: raw.dtype };
  const pop = (name: string): AttrValue | undefined => {
    if (!(name in attrs)) return undefined;
    const value = attrs[name];
    delete attrs[name];
    encoding[name] = value;
    return value;
  };
  if (options.fillValueIsMissing && !("_FillValue" in attrs) && raw.fillValue !== null)
    attrs._FillValue = fillAsAttr(raw.fillValue);
  const coordinates = pop("coordinates");
  if (coordinates !== undefined) encoding.coordinates = coordinates;

  let dtype = raw.dtype;
  let reinterpret: DType | undefined;
  const unsigned = pop("_Unsigned");
  if (unsigned !== undefined && isInteger(dtype)) {
    const flipped =
      unsigned === "true"
        ? dtype.replace(/^int/, "uint")
        : unsigned === "false"
          ? dtype.replace(/^uint/, "int")
          : dtype;
    if (flipped !== dtype) {
      reinterpret = flipped as DType;
      dtype = reinterpret;
      if (typeof attrs._FillValue === "number")
        attrs._FillValue = wrapInteger(attrs._FillValue, dtype);
    }
  }

  const fillValues = [pop("missing_value"), pop("_FillValue")]
    .flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .map(Number)
    .filter((v) => !Number.isNaN(v));
  if (fillValues.length === 0 && options.netcdfDefaultFill && isTimeUnits(attrs.units)) {
    const fill = NETCDF_DEFAULT_FILL[dtype];
    if (fill !== undefined) fillValues.push(fill);
  }
  let maskDtype: DType | undefined;
  if (fillValues.length > 0 && dtype !== "bool") {
    maskDtype = isFloat(dtype)
      ? dtype
      : dtype === "int8" || dtype === "uint8" || dtype === "int16" || dtype === "uint16"
        ? "float32"
        : "float64";
    dtype = maskDtype;
  }
  const masks = fillValues.map((v) => (maskDtype === "float32" ? Math.fround(v) : v));

  let scale: number | undefined;
  let offset: number | undefined;
  let scaleDtype: DType | undefined;
  if ("scale_factor" in attrs || "add_offset" in attrs) {
    scale = scalar(pop("scale_factor"), raw.source, "scale_factor");
    offset = scalar(pop("add_offset"), raw.source, "add_offset");
    scaleDtype = chooseFloatDtype(dtype, offset !== undefined);
    dtype = scaleDtype;
  }

  let coding: TimeCoding | undefined;
  if (isTimeUnits(attrs.units)) {
    const calendar = typeof attrs.calendar === "string" ? attrs.calendar : undefined;
    try {
      coding = timeCoding(attrs.units, calendar);
    } catch (e) {
      throw new InputError(
        `${raw.source}: cannot decode time: ${(e as Error).message}; open it with decode: false (dae: --raw) to read the stored numbers`,
      );
    }
    pop("units");
    pop("calendar");
    dtype = "float64";
  }

  const source = `${raw.source} (decoded)`;
  if (maskDtype === undefined && scale === undefined && offset === undefined && !coding) {
    if (!reinterpret) return { array: raw, attrs, encoding };
    const View = arrayClass(reinterpret);
    const array = mapChunks(
      raw,
      { source, dtype, fillValue: raw.fillValue, attrs, encoding },
      (c) => new View(c.buffer, c.byteOffset, c.length),
    );
    return { array, attrs, encoding };
  }

  // numpy computes `data *= scale; data += offset` in the chosen dtype: round like it
  const roundScaled = scaleDtype === "float32" ? Math.fround : identity;
  const s = scale === undefined ? undefined : roundScaled(scale);
  const o = offset === undefined ? undefined : roundScaled(offset);
  const View = reinterpret ? arrayClass(reinterpret) : undefined;
  const transform = (chunk: TypedArray): TypedArray => {
    const input = View ? new View(chunk.buffer, chunk.byteOffset, chunk.length) : chunk;
    const out = allocate(dtype, input.length) as Float32Array | Float64Array;
    const big = input instanceof BigInt64Array || input instanceof BigUint64Array;
    for (let i = 0; i < input.length; i++) {
      let x = big ? Number(input[i]) : (input[i] as number);
      for (const m of masks) if (x === m) x = NaN;
      if (s !== undefined) x = roundScaled(x * s);
      if (o !== undefined) x = roundScaled(x + o);
      if (coding) x = decodeTimeValue(x, coding);
      out[i] = x;
    }
    return out;
  };
  const array = mapChunks(raw, { source, dtype, fillValue: NaN, attrs, encoding }, transform);
  return {
    array,
    attrs,
    encoding,
    time: coding && { calendar: coding.calendar, units: coding.units },
  };
}

/**
 * xarray 2023.01's `_choose_float_dtype`: float32 stays (float16 is promoted to it), ints of
 * at most 16 bits become float32 unless there is an offset, everything else float64.
 */
export function chooseFloatDtype(dtype: DType, hasOffset: boolean): DType {
  if (dtype === "float16" || dtype === "float32") return "float32";
  if (["int8", "uint8", "int16", "uint16"].includes(dtype) && !hasOffset) return "float32";
  return "float64";
}

function identity(x: number): number {
  return x;
}

/** One number from an attribute that may be stored as a one-element list. */
function scalar(value: AttrValue | undefined, source: string, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== "number")
    throw new InputError(`${source}: attribute ${name} is not a number (${JSON.stringify(value)})`);
  return v;
}

/** Two's-complement wrap of an integer fill value into `dtype`'s range (numpy's cast). */
function wrapInteger(value: number, dtype: DType): number {
  const array = allocate(dtype, 1);
  if (typeof array[0] === "bigint") return value;
  (array as Int32Array)[0] = value;
  return array[0] as number;
}

function fillAsAttr(value: FillValue): AttrValue {
  return typeof value === "bigint" ? Number(value) : value;
}
