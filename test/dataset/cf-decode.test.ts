import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Attrs } from "../../src/array/chunked-array.js";
import { arrayClass, type DType } from "../../src/array/dtype.js";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { readBox } from "../../src/array/read-box.js";
import { decodeCF } from "../../src/dataset/cf-decode.js";
import { python } from "../helpers.js";

interface Case {
  what: string;
  dtype: DType;
  values: number[];
  attrs: Attrs;
}

const CASES: Case[] = [
  {
    what: "int16 packed with offset, NaN _FillValue (ignored)",
    dtype: "int16",
    values: [-32768, -1, 0, 1, 12345, 32767],
    attrs: {
      scale_factor: -1.7250274674968,
      add_offset: 66825.5,
      _FillValue: NaN,
      units: "m**2 s**-2",
    },
  },
  {
    what: "int16 scale only, _FillValue masks",
    dtype: "int16",
    values: [-32768, -1, 0, 1, 12345, 32767],
    attrs: { scale_factor: 0.01, _FillValue: -32768 },
  },
  {
    what: "int16 scale and offset after a mask (float32 result)",
    dtype: "int16",
    values: [-32768, -1, 0, 1, 12345, 32767],
    attrs: { scale_factor: 0.1, add_offset: 273.15, _FillValue: -32768 },
  },
  {
    what: "int8 _Unsigned true with _FillValue -1 (255)",
    dtype: "int8",
    values: [-128, -1, 0, 1, 100, 127],
    attrs: { _Unsigned: "true", _FillValue: -1 },
  },
  {
    what: "uint16 _Unsigned false",
    dtype: "uint16",
    values: [0, 1, 32767, 32768, 65534, 65535],
    attrs: { _Unsigned: "false", scale_factor: 2 },
  },
  {
    what: "int32 missing_value and scale",
    dtype: "int32",
    values: [-999, 0, 7, 123456789, -2147483648, 2147483647],
    attrs: { missing_value: -999, scale_factor: 0.5 },
  },
  {
    what: "float32 with _FillValue and a missing_value list",
    dtype: "float32",
    values: [-9999, -8888, 1.5, NaN, 3.25, 1e30],
    attrs: { _FillValue: -9999, missing_value: [-8888] },
  },
  {
    what: "int16 with nothing to decode",
    dtype: "int16",
    values: [1, 2, 3, 4, 5, 6],
    attrs: { long_name: "plain" },
  },
  {
    // (no fill here: cftime 1.6 cannot decode a masked value in noleap, so xarray fails)
    what: "int32 days in noleap",
    dtype: "int32",
    values: [-1, 0, 59, 365, 730, 100000],
    attrs: { units: "days since 2000-01-01", calendar: "noleap" },
  },
  {
    what: "float64 hours in the standard calendar, with a fill",
    dtype: "float64",
    values: [0, 1.5, -24, 8760, -9999.5, 876600],
    attrs: { units: "hours since 1900-01-01 00:00:00", calendar: "gregorian", _FillValue: -9999.5 },
  },
  {
    what: "int64 seconds in 360_day",
    dtype: "int64",
    values: [0, 86400, -86400 * 400, 31104000, 3e9, 1],
    attrs: { units: "seconds since 1850-01-01", calendar: "360_day" },
  },
];

/** What xarray's decode_cf makes of each case: dtype, values (time as seconds since 1970 of its calendar), attrs. */
function xarrayDecode(cases: Case[]) {
  return python<{ dtype: string; values: (number | null)[]; attrs: string[] }[]>(`
import cftime, warnings
warnings.simplefilter("ignore")
def nan(v):
    return float("nan") if v == "NaN" else [nan(x) for x in v] if isinstance(v, list) else v
out = []
for c in json.loads(${JSON.stringify(JSON.stringify(cases, (_, v) => (Number.isNaN(v) ? "NaN" : v)))}):
    attrs = {k: nan(v) for k, v in c["attrs"].items()}
    for k in ("_FillValue", "missing_value"):
        if k in attrs and c["dtype"] != "float32" and not (isinstance(attrs[k], float) and np.isnan(attrs[k])):
            attrs[k] = np.array(attrs[k], dtype=c["dtype"])
    values = nan(c["values"])
    data = np.array(values).astype(c["dtype"])
    ds = xr.decode_cf(xr.Dataset({"v": ("x", data, attrs)}))
    v = ds.v
    if v.dtype.kind == "M":
        vals = ((v.values - np.datetime64("1970-01-01")) / np.timedelta64(1, "s")).astype(float)
        dtype = "float64"
    elif v.dtype == object:
        cal = v.encoding["calendar"]
        vals = np.array([np.nan if d is None else cftime.date2num(d, "seconds since 1970-01-01", cal) for d in v.values], dtype=float)
        dtype = "float64"
    else:
        vals = v.values.astype(float)
        dtype = str(v.dtype)
    out.append({"dtype": dtype, "values": [None if np.isnan(x) else float(x) for x in vals], "attrs": sorted(v.attrs)})
print(json.dumps(out))
`);
}

test("decodeCF gives xarray's dtypes and values, bit for bit, chunk by chunk", async () => {
  const want = xarrayDecode(CASES);
  for (const [i, c] of CASES.entries()) {
    const Typed = arrayClass(c.dtype);
    const data =
      c.dtype === "int64" ? BigInt64Array.from(c.values.map(BigInt)) : new Typed(c.values.length);
    if (c.dtype !== "int64") (data as Float64Array).set(c.values);
    const raw = fromTypedArray(data, {
      shape: [6],
      dims: ["x"],
      chunks: [4],
      dtype: c.dtype,
      attrs: c.attrs,
    });
    const decoded = decodeCF(raw);
    assert.equal(decoded.array.dtype, want[i].dtype, c.what);
    const got = await readBox(decoded.array, [0], [6]);
    assert.deepEqual(
      [...(got as Float64Array)].map((x) => (Number.isNaN(x) ? null : x)),
      want[i].values,
      c.what,
    );
    assert.deepEqual(Object.keys(decoded.attrs).sort(), want[i].attrs, c.what);
    assert.equal(
      decoded.time !== undefined,
      "units" in c.attrs && String(c.attrs.units).includes("since"),
      c.what,
    );
  }
});

test("a Zarr fill value counts as _FillValue (as xarray's zarr backend does); NetCDF's does not", async () => {
  const raw = fromTypedArray(Int16Array.from([-32768, 5]), {
    shape: [2],
    fillValue: -32768,
    attrs: { scale_factor: 2 },
  });
  const zarr = await readBox(decodeCF(raw, { fillValueIsMissing: true }).array, [0], [2]);
  assert.deepEqual([...zarr], [NaN, 10]);
  const netcdf = await readBox(decodeCF(raw).array, [0], [2]);
  assert.deepEqual([...netcdf], [-65536, 10]);
});

test("undecodable time units fail with a one-line error naming the variable", () => {
  const raw = fromTypedArray(Int32Array.from([1]), {
    shape: [1],
    source: "f.nc:time",
    attrs: { units: "months since 2000-01-01" },
  });
  assert.throws(
    () => decodeCF(raw),
    /^InputError: f\.nc:time: cannot decode time: unsupported time unit "months".*decode: false/,
  );
});

test("property: decoding a region equals decoding each element (scale, offset, fill) in float32 as numpy does", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 10 }),
      fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: -1e5, max: 1e5, noNaN: true, noDefaultInfinity: true }),
      async (values, chunk, scale, offset) => {
        const raw = fromTypedArray(Int16Array.from(values), {
          shape: [values.length],
          chunks: [chunk],
          attrs: { scale_factor: scale, add_offset: offset, missing_value: values[0] },
        });
        const got = await readBox(decodeCF(raw).array, [0], [values.length]);
        assert.deepEqual(
          [...got],
          values.map((v) =>
            v === values[0]
              ? NaN
              : Math.fround(Math.fround(v * Math.fround(scale)) + Math.fround(offset)),
          ),
        );
      },
    ),
  );
});
