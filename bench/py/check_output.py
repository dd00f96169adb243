"""Prints the root mean square (NaN skipped) of the one data variable of a Zarr store or NetCDF file that a
workload wrote, so the table can show that every tool computed the same thing (not timed).

Usage: check_output.py PATH
"""
import json
import sys

import dask
import numpy as np
import xarray as xr

path = sys.argv[1]
dask.config.set(scheduler="threads")
ds = xr.open_zarr(path) if path.endswith(".zarr") else xr.open_dataset(path, chunks={})
name = [v for v in ds.data_vars if ds[v].ndim == 3 or v == "tas"][0]
print(json.dumps({"check": float(np.sqrt((ds[name].astype("float64") ** 2).mean().compute()))}))
