"""Writes grids whose coordinates differ by label, and evaluates xarray expressions over them.

The oracle for alignment by label (test/api/align-xarray.test.ts). Reads JSON on stdin:
{"dir": "...", "exprs": ["(g.tas * m.land).mean()", ...]}. Writes into DIR:
- grid.nc (NetCDF-4): tas(time, lat, lon), float32, lat south to north, daily standard times;
- mask.zarr (Zarr v2): land(lat, lon) int8 with lat north to south; land_off (lat offset and
  shorter, north to south); part (a partial grid); perm (lat and lon labels permuted);
  tas_rev (tas with lat reversed); bias(time) on later days, in hours since another date;
- nl_a.nc, nl_b.nc: x(time) and y(time) in the noleap calendar, y's days offset from x's.
Evaluates each expression with g, m, na, nb (the datasets) and np, xr in scope and prints one
JSON result per expression as test/oracles/xarray_eval.py writes them, or {"error": message}.
"""
import json
import os
import sys

import numpy as np
import xarray as xr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xarray_eval import as_json  # noqa: E402


def write(d):
    rng = np.random.default_rng(21)
    lat = np.arange(-90.0, 91.0, 10.0)
    lon = np.arange(0.0, 360.0, 10.0)
    time = np.datetime64("2000-01-01") + np.arange(40) * np.timedelta64(1, "D")
    tas = 250 + 40 * np.cos(np.deg2rad(lat))[None, :, None] + rng.normal(0, 3, (40, 19, 36))
    tas[3, 4, 5] = np.nan
    g = xr.Dataset(
        {"tas": (("time", "lat", "lon"), tas.astype("float32"))},
        coords={"time": time, "lat": lat, "lon": lon},
    )
    g.to_netcdf(
        f"{d}/grid.nc",
        encoding={"tas": {"chunksizes": (7, 5, 12)}, "time": {"units": "days since 2000-01-01"}},
    )
    land = (rng.random((19, 36)) > 0.6).astype("int8")
    nlat = lat[::-1]
    perm_lat = rng.permutation(lat)
    perm_lon = rng.permutation(lon)
    m = xr.Dataset(
        {
            "land": (("lat", "lon"), land[::-1]),
            "tas_rev": (("time", "lat", "lon"), tas[:, ::-1].astype("float32")),
        },
        coords={"lat": nlat, "lon": lon, "time": time},
    )
    off = xr.DataArray(
        rng.random((15, 36)),
        dims=("lat", "lon"),
        coords={"lat": np.arange(80.0, -61.0, -10.0), "lon": lon},
    )
    off[2, 3] = np.nan
    part = xr.DataArray(
        rng.random((7, 18)) * 10,
        dims=("lat", "lon"),
        coords={"lat": np.arange(-30.0, 31.0, 10.0), "lon": np.arange(0.0, 180.0, 10.0)},
    )
    perm = xr.DataArray(
        rng.random((19, 36)), dims=("lat", "lon"), coords={"lat": perm_lat, "lon": perm_lon}
    )
    btime = np.datetime64("2000-01-03") + np.arange(50) * np.timedelta64(1, "D")
    bias = xr.DataArray(rng.random(50), dims="time", coords={"time": btime})
    # each variable keeps its own coordinates: one store per differently labelled grid
    m.to_zarr(f"{d}/mask.zarr", mode="w", encoding={"tas_rev": {"chunks": (9, 4, 10)}})
    off.to_dataset(name="land_off").to_zarr(f"{d}/off.zarr", mode="w")
    part.to_dataset(name="part").to_zarr(f"{d}/part.zarr", mode="w")
    perm.to_dataset(name="perm").to_zarr(
        f"{d}/perm.zarr", mode="w", encoding={"perm": {"chunks": (5, 7)}}
    )
    bias.to_dataset(name="bias").to_netcdf(
        f"{d}/bias.nc", encoding={"time": {"units": "hours since 1999-12-31"}}
    )
    for name, var, start, n in (("nl_a", "x", 0, 30), ("nl_b", "y", 10, 30)):
        t = xr.cftime_range("2001-02-20", periods=60, calendar="noleap")[start : start + n]
        xr.Dataset({var: ("time", rng.random(n))}, coords={"time": t}).to_netcdf(
            f"{d}/{name}.nc", encoding={"time": {"units": "days since 2001-01-01", "calendar": "noleap"}}
        )


def main():
    spec = json.load(sys.stdin)
    d = spec["dir"]
    write(d)
    scope = {"np": np, "xr": xr}
    for name, path in (
        ("g", "grid.nc"),
        ("m", "mask.zarr"),
        ("o", "off.zarr"),
        ("p", "part.zarr"),
        ("q", "perm.zarr"),
        ("b", "bias.nc"),
        ("na", "nl_a.nc"),
        ("nb", "nl_b.nc"),
    ):
        scope[name] = xr.open_zarr(f"{d}/{path}") if path.endswith(".zarr") else xr.open_dataset(f"{d}/{path}")
    out = []
    for e in spec["exprs"]:
        try:
            out.append(as_json(eval(e, scope)))
        except Exception as err:  # the expected refusals
            out.append({"error": str(err).splitlines()[0]})
    print(json.dumps(out))


main()
