#!/usr/bin/env bash
# Installs the Debian packages the tests use as oracles and servers, when missing (needs root).
set -euo pipefail
need=()
/usr/bin/python3 -c "import xarray, zarr, netCDF4, h5py, dask" 2>/dev/null || need+=(python3-xarray python3-zarr python3-netcdf4 python3-h5py python3-dask python3-scipy)
command -v gdal_translate >/dev/null || need+=(gdal-bin)
command -v ncdump >/dev/null || need+=(netcdf-bin)
command -v redis-server >/dev/null || need+=(redis-server)
# the benchmark suite (bench/): GNU time measures whole processes, CDO is a peer
[ -x /usr/bin/time ] || need+=(time)
command -v cdo >/dev/null || need+=(cdo)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${need[*]} (run as root to install)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
