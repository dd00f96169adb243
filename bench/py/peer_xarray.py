"""One benchmark workload with xarray + dask (threads scheduler, one thread per core), as a user writes it.

Usage: peer_xarray.py WORKLOAD DATA_DIR OUT_PATH (DATA_DIR as the runner wrote it, with COMPLETE.json)
Prints one JSON line: {"check": <root mean square of an in-memory result>} or {"wrote": OUT_PATH}.
Outputs are Zarr v2 with numcodecs Zstd level 1, the engine's default compressor and level (and numcodecs').
"""
import json
import os
import sys

import dask
import numcodecs
import numpy as np
import xarray as xr

workload, data, out = sys.argv[1:4]
with open(os.path.join(data, "COMPLETE.json")) as f:
    params = json.load(f)["params"]
dask.config.set(scheduler="threads", num_workers=os.cpu_count())
ZSTD = numcodecs.Zstd(level=1)


def rms(da):
    return float(np.sqrt((da.astype("float64") ** 2).mean()))


def open_a():
    return xr.open_zarr(os.path.join(data, "a.zarr")).tas


def to_zarr(da):
    da = da.rename("tas")
    da.encoding = {}
    da.to_dataset().to_zarr(out, mode="w", encoding={"tas": {"compressor": ZSTD}})
    print(json.dumps({"wrote": out}))


if workload == "W1":
    m = open_a().mean("time").compute()
    print(json.dumps({"check": rms(m)}))
elif workload == "W2":
    t = open_a()
    anomaly = t.groupby("time.month") - t.groupby("time.month").mean()
    # dask leaves irregular time chunks here, which to_zarr refuses ("Zarr requires uniform
    # chunk sizes"): an xarray user must rechunk to regular chunks before writing
    to_zarr(anomaly.chunk(dict(zip(t.dims, params["chunks"]))))
elif workload == "W3":
    t = open_a()
    # dask's rolling leaves an irregular first time chunk (window - 1 + chunk): rechunk again
    to_zarr(t.rolling(time=7).mean().chunk(dict(zip(t.dims, params["chunks"]))))
elif workload == "W4":
    b = xr.open_zarr(os.path.join(data, "b.zarr")).tas
    to_zarr((open_a() + b).chunk(dict(zip(("time", "lat", "lon"), params["w4_chunks"]))))
elif workload == "W9":
    mask = xr.open_zarr(os.path.join(data, "mask.zarr")).land
    to_zarr(open_a() * mask)
elif workload == "W5":
    to_zarr(open_a().chunk(dict(zip(("time", "lat", "lon"), params["rechunk"]))))
elif workload == "W6":
    chunks = dict(zip(("time", "lat", "lon"), params["chunks"]))
    m = xr.open_dataset(os.path.join(data, "a.nc"), chunks=chunks).tas.mean("time").compute()
    print(json.dumps({"check": rms(m)}))
else:
    raise SystemExit(f"unknown workload {workload}")
