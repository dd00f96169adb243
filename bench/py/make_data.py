"""Writes the benchmark cube the way an xarray user would: a dask-backed Dataset -> to_zarr / to_netcdf.

Also writes mask.zarr, W9's land mask on the cube's grid with latitude reversed.

Usage: make_data.py DIR SPEC_JSON
SPEC_JSON: {"shape": [T, Y, X], "chunks": [..], "b_chunks": [..], "netcdf": true}

Values are a pure function of (time, lat, lon) index, so they do not depend on chunking and the
cube is identical on every machine: a seasonal cycle, a latitude gradient and hash noise.
"""
import json
import os
import shutil
import sys

import dask
import dask.array as da
import numcodecs
import numpy as np
import pandas as pd
import xarray as xr


def field(salt, shape, chunks):
    t_len, y_len, x_len = shape

    def block(block_info=None):
        loc = block_info[None]["array-location"]
        t = np.arange(*loc[0], dtype=np.uint32)[:, None, None]
        y = np.arange(*loc[1], dtype=np.uint32)[None, :, None]
        x = np.arange(*loc[2], dtype=np.uint32)[None, None, :]
        h = (t * np.uint32(2654435761)) ^ (y * np.uint32(2246822519)) ^ (x * np.uint32(3266489917)) ^ np.uint32(salt)
        h ^= h >> np.uint32(15)
        h *= np.uint32(2246822519)
        h ^= h >> np.uint32(13)
        noise = (h & np.uint32(0xFFFF)).astype(np.float32) / np.float32(65535.0) - np.float32(0.5)
        lat = (np.float32(-90) + (y.astype(np.float32) + 0.5) * np.float32(180.0 / y_len))
        phase = np.float32(2 * np.pi / 365.25) * t.astype(np.float32)
        seasonal = np.float32(12) * np.sin(phase) * np.sin(np.deg2rad(lat))
        return (np.float32(288) - np.float32(30) * np.sin(np.deg2rad(lat)) ** 2 + seasonal + np.float32(4) * noise).astype(np.float32)

    return da.map_blocks(block, dtype=np.float32, chunks=tuple(da.core.normalize_chunks(chunks, shape)))


def dataset(salt, shape, chunks):
    t_len, y_len, x_len = shape
    coords = {
        "time": pd.date_range("2000-01-01", periods=t_len, freq="D"),
        "lat": np.linspace(-90 + 90 / y_len, 90 - 90 / y_len, y_len),
        "lon": np.linspace(180 / x_len, 360 - 180 / x_len, x_len),
    }
    tas = xr.DataArray(field(salt, shape, chunks), dims=("time", "lat", "lon"), coords=coords, name="tas",
                       attrs={"units": "K", "long_name": "near-surface air temperature (synthetic)"})
    ds = tas.to_dataset()
    ds.time.encoding.update({"units": "days since 2000-01-01", "calendar": "standard"})
    return ds


def write_zarr(ds, path, chunks):
    tmp = path + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    enc = {"tas": {"compressor": numcodecs.Zstd(level=1), "chunks": tuple(chunks)}}
    ds.to_zarr(tmp, encoding=enc, consolidated=True)
    shutil.rmtree(path, ignore_errors=True)
    os.rename(tmp, path)


def write_mask(shape, path):
    """W9's land mask (1 land, 0 sea) on the cube's grid, but latitude north to south, as many masks are."""
    _, y_len, x_len = shape
    lat = np.linspace(90 - 90 / y_len, -90 + 90 / y_len, y_len)
    lon = np.linspace(180 / x_len, 360 - 180 / x_len, x_len)
    # not symmetric about the equator: read by position instead of by label, it gives another answer
    shape_y = np.cos(np.deg2rad(2 * lat)) + np.sin(np.deg2rad(lat))
    land = (np.sin(np.deg2rad(3 * lon))[None, :] + shape_y[:, None] > 0.5).astype("float32")
    ds = xr.DataArray(land, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="land").to_dataset()
    tmp = path + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    ds.to_zarr(tmp, encoding={"land": {"compressor": numcodecs.Zstd(level=1)}}, consolidated=True)
    os.rename(tmp, path)


def main():
    out, spec = sys.argv[1], json.loads(sys.argv[2])
    shape, chunks, b_chunks = spec["shape"], spec["chunks"], spec["b_chunks"]
    os.makedirs(out, exist_ok=True)
    dask.config.set(scheduler="threads", num_workers=os.cpu_count())
    a = os.path.join(out, "a.zarr")
    if not os.path.exists(a):
        write_zarr(dataset(0, shape, chunks), a, chunks)
    b = os.path.join(out, "b.zarr")
    if not os.path.exists(b):
        write_zarr(dataset(0x9E3779B9, shape, b_chunks), b, b_chunks)
    mask = os.path.join(out, "mask.zarr")
    if not os.path.exists(mask):
        write_mask(shape, mask)
    nc = os.path.join(out, "a.nc")
    if spec.get("netcdf", True) and not os.path.exists(nc):
        # a copy of a.zarr, as a user converts it: same chunks, zlib level 1
        src = xr.open_zarr(a)
        enc = {"tas": {"zlib": True, "complevel": 1, "chunksizes": tuple(chunks)}}
        src.to_netcdf(nc + ".partial", encoding=enc, engine="netcdf4")
        os.rename(nc + ".partial", nc)


main()
