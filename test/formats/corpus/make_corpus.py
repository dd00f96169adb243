"""Makes the foreign-file corpus with the tools that write each format, in one run.

Usage: make_corpus.py OUT_DIR. Writes the files under OUT_DIR and prints one JSON list of cases:
  {"file": relative path, "feature": what the file exercises,
   "variables": {name: {"dims", "shape", "values"}}}   values as the reference reader gives them
or
  {"file", "feature", "refuse": [words the one-line error must contain]}
"unsupported" lists the variables that must be listed as not readable, with a word of what they
are that their refusal must contain. "decoded" says whether the values are CF-decoded (xarray) or as stored (GDAL, h5py, zarr-python).
Values are flattened C-order lists; NaN/NaT as "NaN", infinities as "Infinity"/"-Infinity";
decoded times as float seconds since 1970-01-01. Variables in groups are named `group/var`, and
a dimension defined in a group `group/dim` when other groups define dimensions of that name
(netCDF4-python says where each dimension lives).
The reference readers: GDAL for TIFF, xarray (values) + netCDF4-python (dims) for NetCDF,
zarr-python for Zarr, h5py for plain HDF5.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np

OUT = sys.argv[1]
CASES = []


def path(rel):
    p = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def plain(values):
    flat = np.asarray(values)
    if flat.dtype.kind == "M":
        ns = flat.astype("datetime64[ns]")
        secs = ns.astype("int64") / 1e9
        secs[np.isnat(ns)] = np.nan
        flat = secs
    elif flat.dtype.kind == "m":
        flat = flat.astype("timedelta64[ns]").astype("int64") / 1e9
    out = []
    for x in flat.reshape(-1).tolist():
        if isinstance(x, float) and not math.isfinite(x):
            x = "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
        out.append(x)
    return out


def variable(dims, values):
    values = np.asarray(values)
    return {"dims": list(dims), "shape": list(values.shape), "values": plain(values)}


def case(rel, feature, variables=None, refuse=None, decoded=False, unsupported=None):
    c = {"file": rel, "feature": feature, "decoded": decoded, "unsupported": unsupported or {}}
    if refuse is not None:
        c["refuse"] = refuse
    else:
        c["variables"] = variables
    CASES.append(c)


# ---------------------------------------------------------------- GeoTIFF, read back with GDAL
def tiffs():
    from osgeo import gdal

    gdal.UseExceptions()
    y, x = np.mgrid[0:23, 0:37]
    mem = {}
    for dtype, gdt in [("uint8", gdal.GDT_Byte), ("int16", gdal.GDT_Int16),
                       ("uint16", gdal.GDT_UInt16), ("float32", gdal.GDT_Float32)]:
        src = path(f"tiff/src_{dtype}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(src, 37, 23, 3, gdt)
        for b in range(3):
            v = (x * 7 + y * 3 + b * 50) % 200
            if dtype == "int16":
                v = v * 100 - 9000
            if dtype == "float32":
                v = (v - 100) * 0.37
            ds.GetRasterBand(b + 1).WriteArray(v.astype(dtype))
        ds = None
        mem[dtype] = src

    def translate(src, rel, options, feature, refuse=None, gdal_create=False):
        dst = path(rel)
        gdal.Translate(dst, src, creationOptions=options)
        if refuse is not None:
            case(rel, feature, refuse=refuse)
            return
        ds = gdal.Open(dst)
        gt = ds.GetGeoTransform()
        case(rel, feature, {
            "band_data": variable(["band", "y", "x"], ds.ReadAsArray()),
            "band": variable(["band"], np.arange(1, ds.RasterCount + 1)),
            "x": variable(["x"], gt[0] + (np.arange(ds.RasterXSize) + 0.5) * gt[1]),
            "y": variable(["y"], gt[3] + (np.arange(ds.RasterYSize) + 0.5) * gt[5]),
        })

    for dtype, src in mem.items():
        preds = [1, 2] + ([3] if dtype == "float32" else [])
        for comp in ["NONE", "DEFLATE", "LZW", "ZSTD", "PACKBITS"]:
            for pred in preds if comp in ("DEFLATE", "LZW", "ZSTD") else [1]:
                for inter in ["PIXEL", "BAND"]:
                    for endian in ["LITTLE", "BIG"]:
                        if pred == 3 and endian == "BIG":
                            continue  # GDAL 3.6.2 reads back 7.4e-42 where it wrote -37
                        for tiled in [True, False]:
                            opts = [f"COMPRESS={comp}", f"INTERLEAVE={inter}", f"ENDIANNESS={endian}"]
                            if pred != 1:
                                opts.append(f"PREDICTOR={pred}")
                            opts += ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"] if tiled else ["BLOCKYSIZE=5"]
                            name = f"{dtype}_{comp}_p{pred}_{inter}_{endian}_{'tiled' if tiled else 'strips'}".lower()
                            translate(src, f"tiff/{name}.tif", opts,
                                      f"GeoTIFF {dtype} {comp} predictor {pred} {inter} {endian} {'tiled' if tiled else 'striped'}")
    translate(mem["uint8"], "tiff/jpeg_ycbcr.tif",
              ["COMPRESS=JPEG", "PHOTOMETRIC=YCBCR", "TILED=YES"],
              "GeoTIFF JPEG stored as YCbCr", refuse=["jpeg_ycbcr.tif", "YCbCr"])
    if "WEBP" in gdal.GetDriverByName("GTiff").GetMetadataItem("DMD_CREATIONOPTIONLIST"):
        translate(mem["uint8"], "tiff/webp.tif", ["COMPRESS=WEBP"],
                  "GeoTIFF WebP", refuse=["webp.tif", "WebP"])


# ---------------------------------------------------------------- NetCDF from CDL with ncgen
def ncgen(rel, cdl, feature, kind="nc4"):
    dst = path(rel)
    cdl_file = dst + ".cdl"
    with open(cdl_file, "w") as f:
        f.write(cdl)
    subprocess.run(["ncgen", "-k", kind, "-o", dst, cdl_file], check=True)
    return dst


def netcdf_expected(dst):
    """Every variable as xarray decodes it, group by group, with netCDF4-python's dim paths."""
    import netCDF4
    import xarray as xr

    out = {}
    defined = {}  # dimension name -> groups that define one of that name

    def find_dims(group):
        for name in group.dimensions:
            defined.setdefault(name, set()).add(group.path)
        for sub in group.groups.values():
            find_dims(sub)

    def walk(group, prefix):
        ds = xr.open_dataset(dst, group=group.path if prefix else None)
        for name, var in group.variables.items():
            dims = []
            for d in var.get_dims():
                where = d.group().path.strip("/")
                dims.append(f"{where}/{d.name}" if where and len(defined[d.name]) > 1 else d.name)
            out[prefix + name] = variable(dims, ds[name].values)
        ds.close()
        for name, sub in group.groups.items():
            walk(sub, prefix + name + "/")

    with netCDF4.Dataset(dst) as root:
        find_dims(root)
        walk(root, "")
    return out


def netcdfs():
    dst = ncgen("netcdf/nested_dims.nc", """netcdf nested {
dimensions: dim = 2 ;
variables: int a(dim) ;
data: a = 1, 2 ;
group: g1 {
  dimensions: dim = 3 ;
  variables: int b(dim) ;
  data: b = 10, 20, 30 ;
}
group: g2 {
  dimensions: dim = 4 ;
  variables: int c(dim) ;
  data: c = 5, 6, 7, 8 ;
}
}
""", "NetCDF-4 groups with three dims named dim")
    case("netcdf/nested_dims.nc", "NetCDF-4 nested groups, three dims all named dim",
         netcdf_expected(dst), decoded=True)

    for kind, ext in [("nc4", "nc"), ("classic", "nc3")]:
        rel = f"netcdf/int_time_default_fill.{ext}"
        dst = ncgen(rel, """netcdf t {
dimensions: time = 3 ;
variables: int time(time) ; time:units = "days since 2000-01-01" ;
data: time = 0, -2147483647, 2 ;
}
""", "int time holding the default fill", kind)
        # the installed xarray fails on it (cftime overflows); netCDF4-python masks the default
        # fill, as the netCDF conventions say, and newer xarray decodes it to NaT
        import netCDF4

        with netCDF4.Dataset(dst) as f:
            days = f["time"][:]
        secs = (days.astype("float64") * 86400 + 946684800).filled(np.nan)
        case(rel, f"CF int32 time holding netCDF's default fill, no _FillValue ({kind})",
             {"time": variable(["time"], secs)}, decoded=True)

    import netCDF4

    rel = "netcdf/many_variables.nc"
    with netCDF4.Dataset(path(rel), "w") as f:
        f.createDimension("x", 2)
        f.createVariable("x", "f8", ("x",))[:] = [0.5, 1.5]
        for i in range(500):
            v = f.createVariable(f"v{i}", "f4", ("x",))
            v[:] = [i, -i]
            v.units = "m"
    case(rel, "NetCDF-4 with 500 variables sharing one dimension", netcdf_expected(path(rel)),
         decoded=True)

    rel = "netcdf/name_with_nul.nc3"
    dst = ncgen(rel, """netcdf n {
dimensions: x = 2 ;
variables: int yy(x) ;
data: yy = 3, 4 ;
}
""", "a name with a trailing NUL", "classic")
    data = bytearray(open(dst, "rb").read())
    at = data.index(b"yy\0\0")
    assert data[at - 4:at] == b"\0\0\0\x02"
    data[at - 1] = 3  # the name's length counts a NUL (the padding holds it)
    open(dst, "wb").write(data)
    case(rel, "classic NetCDF variable name stored with a trailing NUL", netcdf_expected(dst),
         decoded=True)

    rel = "netcdf/time_utc_offset.nc"
    dst = ncgen(rel, """netcdf t {
dimensions: time = 2 ;
variables: double time(time) ; time:units = "seconds since 1970-1-1 0:00:00 0:00" ;
data: time = 0, 60 ;
}
""", "time units with a UTC offset")
    case(rel, "CF time units with an unsigned UTC offset (udunits)", netcdf_expected(dst),
         decoded=True)

    rel = "netcdf/empty_unlimited.nc3"
    dst = ncgen(rel, """netcdf e {
dimensions: time = UNLIMITED ; x = 3 ;
variables: float v(time, x) ; float x(x) ;
data: x = 1, 2, 3 ;
}
""", "classic, 0 records", "classic")
    case(rel, "classic NetCDF, unlimited dimension with 0 records", netcdf_expected(dst), decoded=True)


# ---------------------------------------------------------------- Zarr with zarr-python
def zarrs():
    import zarr

    data = np.arange(6 * 7, dtype="int32").reshape(6, 7) - 20
    for name, first_missing in [("nested_no_separator", False), ("nested_first_missing", True)]:
        rel = f"zarr/{name}.zarr"
        store = zarr.NestedDirectoryStore(path(rel))
        z = zarr.open_array(store, mode="w", shape=data.shape, chunks=(4, 3), dtype="int32")
        z[...] = data
        meta_file = os.path.join(path(rel), ".zarray")
        with open(meta_file) as f:
            meta = json.load(f)
        meta.pop("dimension_separator", None)  # as zarr-python before 2.8 wrote it
        with open(meta_file, "w") as f:
            json.dump(meta, f)
        if first_missing:
            os.remove(os.path.join(path(rel), "0", "0"))
        read = zarr.open_array(zarr.NestedDirectoryStore(path(rel)), mode="r")[...]
        case(rel, "Zarr v2 nested chunk keys (0/0) without dimension_separator"
             + (", first chunk missing" if first_missing else ""),
             {name: variable(["dim_0", "dim_1"], read)})


# ---------------------------------------------------------------- HDF5 with h5py
def hdf5s():
    import h5py

    rel = "hdf5/lzf.h5"
    with h5py.File(path(rel), "w") as f:
        f.create_dataset("v", data=np.arange(10, dtype="f4"), compression="lzf")
    case(rel, "HDF5 LZF filter (h5py's own)", refuse=["lzf.h5:v", "filter 32000 (LZF)"])
    # plugin filters: h5py has no encoder for them here (no hdf5plugin), so the pipeline is
    # declared optional and chunks are written as they are; the refusal comes before decoding
    for fid, name in [(307, "bzip2"), (32001, "blosc"), (32004, "LZ4"), (32008, "bitshuffle"),
                      (32015, "zstd")]:
        rel = f"hdf5/plugin_{fid}.h5"
        with h5py.File(path(rel), "w") as f:
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_chunk((4,))
            dcpl.set_filter(fid, h5py.h5z.FLAG_OPTIONAL, ())
            space = h5py.h5s.create_simple((8,))
            h5py.h5d.create(f.id, b"v", h5py.h5t.NATIVE_FLOAT, space, dcpl=dcpl)
            for i in range(2):
                f["v"].id.write_direct_chunk((i * 4,), np.zeros(4, "f4").tobytes(), filter_mask=0)
        case(rel, f"HDF5 {name} plugin filter", refuse=[f"plugin_{fid}.h5:v", f"filter {fid} ({name})"])


def hdf5_types():
    """Datasets of types that are not numbers next to one that is: listed, refused by name."""
    import h5py

    rel = "hdf5/types.h5"
    with h5py.File(path(rel), "w") as f:
        f["num"] = np.arange(3, dtype="f8")
        f["fixed_str"] = np.array([b"ab", b"cd", b"ef"])
        f.create_dataset("vlen_str", data=["a", "bb", "ccc"], dtype=h5py.string_dtype())
        f["complex"] = np.array([1 + 2j, 3 - 4j, 0j])
        f["compound"] = np.array([(1, 2.5)] * 3, dtype=[("a", "i4"), ("b", "f8")])
        f["opaque"] = np.array([b"\x01\x02"] * 3, dtype="V2")
        f.create_dataset("vlen_int", (3,), dtype=h5py.vlen_dtype("i4"))
        bits = h5py.h5t.STD_B8LE.copy()  # PyTables' booleans are 8-bit bitfields
        space = h5py.h5s.create_simple((3,))
        h5py.h5d.create(f.id, b"bitfield", bits, space).write(
            space, space, np.array([1, 0, 1], "u1"), mtype=h5py.h5t.NATIVE_UINT8)
    case(rel, "HDF5 strings, vlen, opaque, compound, complex and bitfield datasets",
         {"num": variable(["phony_dim_0"], np.arange(3.0))},
         unsupported={"fixed_str": "string", "vlen_str": "string", "complex": "complex {r, i}",
                      "compound": "compound {a, b}", "opaque": "opaque", "vlen_int": "variable-length",
                      "bitfield": "bitfield"})


def zarr_types():
    import numcodecs
    import zarr

    rel = "zarr/root_zfpy.zarr"
    z = zarr.open_array(path(rel), mode="w", shape=(3,), dtype="f8")
    z[:] = 1
    meta_file = os.path.join(path(rel), ".zarray")
    with open(meta_file) as f:
        meta = json.load(f)
    meta["compressor"] = {"id": "zfpy"}  # numcodecs' zfpy is not installed here
    with open(meta_file, "w") as f:
        json.dump(meta, f)
    case(rel, "Zarr root array with an unknown codec", refuse=["root_zfpy.zarr: ", "zfpy"])

    rel = "zarr/types.zarr"
    g = zarr.open_group(path(rel), mode="w")
    g.create_dataset("num", data=np.arange(3, dtype="i2"), fill_value=None)
    g.create_dataset("obj", shape=(2,), dtype=object, object_codec=numcodecs.VLenUTF8())
    g.create_dataset("structured", data=np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]))
    case(rel, "Zarr object and structured dtypes", {"num": variable(["dim_0"], np.arange(3))},
         unsupported={"obj": "|O", "structured": "a Zarr array of dtype"})


tiffs()
hdf5s()
hdf5_types()
zarr_types()
netcdfs()
zarrs()
print(json.dumps(CASES))
