"""Evaluates xarray expressions over datasets: the oracle for `dae run` and evaluateExpression.

Reads JSON on stdin: {"inputs": [{"name": "a" | null, "path": "..."}], "exprs": ["z.mean('month')", ...],
"setup": "python code run first, e.g. writing the inputs" (optional)}.
A named input is an xarray Dataset called NAME; an unnamed input puts its variables in scope by name,
as `dae run -i` does. Prints JSON: one {"dims", "shape", "dtype", "coords", "data"} per expression,
data flat in C order with NaN as null (the shape `dae run --print` writes).
Run with Debian's /usr/bin/python3 (xarray 2023.01, zarr 2, netCDF4).
"""
import json
import math
import sys

import numpy as np
import xarray as xr


def open_any(path):
    if path.rstrip("/").endswith(".zarr"):
        return xr.open_zarr(path)
    return xr.open_dataset(path)


def coord_json(c):
    """Numbers as they are, times as ISO strings (as formatTime writes them); others are left out."""
    if c.dtype.kind == "M":
        return [str(v)[:19] if not np.isnat(v) else "NaT" for v in c.values.astype("datetime64[s]")]
    if c.dtype.kind in "iufb":
        return c.values.tolist()
    if c.size and hasattr(c.values.flat[0], "calendar"):  # cftime dates (non-standard calendars)
        return [v.isoformat() for v in c.values]
    if c.size and all(isinstance(v, str) for v in c.values.flat):  # labels, e.g. seasons
        return [str(v) for v in c.values]
    return None


def printed(v):
    """A value as `dae run --print` spells it: NaN null, infinities as strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def as_json(a):
    a = a.load()
    coords = {d: coord_json(a[d]) for d in a.dims if d in a.coords}
    values = a.values.astype("float64").ravel().tolist() if a.dtype != bool else a.values.ravel().tolist()
    return {
        "dims": list(a.dims),
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "coords": {d: c for d, c in coords.items() if c is not None},
        "data": [printed(v) for v in values],
    }


def main():
    spec = json.load(sys.stdin)
    if spec.get("setup"):
        exec(spec["setup"], {"np": np, "xr": xr})
    scope = {"np": np, "xr": xr}
    for i in spec["inputs"]:
        ds = open_any(i["path"])
        if i.get("name"):
            scope[i["name"]] = ds
        else:
            scope.update({k: ds[k] for k in ds.variables})
    print(json.dumps([as_json(eval(e, scope)) for e in spec["exprs"]]))


if __name__ == "__main__":
    main()
