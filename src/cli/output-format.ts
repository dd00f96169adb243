import path from "node:path";
import { InputError } from "../util/errors.js";

/** File extensions of formats the CLI does not write, with what to use instead. */
const NOT_ZARR: Record<string, string> = {
  ".png": "dae plot draws PNG pictures",
  ".jpg": "dae plot draws PNG pictures",
  ".nc": "NetCDF output is not written yet: write Zarr (xarray opens it as it is)",
  ".nc4": "NetCDF output is not written yet: write Zarr (xarray opens it as it is)",
  ".h5": "HDF5 output is not written yet: write Zarr",
  ".hdf5": "HDF5 output is not written yet: write Zarr",
  ".tif": "GeoTIFF output is not written yet: write Zarr",
  ".tiff": "GeoTIFF output is not written yet: write Zarr",
  ".json": "--print writes JSON to standard output",
  ".csv": "--print writes JSON to standard output",
};

/**
 * Refuses an output path whose extension names a format other than Zarr: `-o z.png` would
 * otherwise become a Zarr directory called z.png.
 */
export function checkZarrOutput(flag: string, output: string): void {
  const ext = path.extname(output.replace(/[/\\]+$/, "")).toLowerCase();
  const instead = NOT_ZARR[ext];
  if (instead)
    throw new InputError(
      `${flag} ${output}: writes a Zarr store (name it e.g. ${path.basename(output, path.extname(output))}.zarr); ${instead}`,
    );
}
