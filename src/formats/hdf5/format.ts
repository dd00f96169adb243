import { InputError } from "../../util/errors.js";
import type { FileFormat } from "../registry.js";
import { openHdf5 } from "./index.js";

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** NetCDF-4 and HDF5 files, read with h5wasm from a local file. */
export const format: FileFormat = {
  kind: "file",
  name: "hdf5",
  title: "NetCDF-4/HDF5",
  // the signature is at byte 0, or at 512, 1024, 2048 … after a user block
  async sniff(head, source) {
    const size = await source.size();
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const bytes = offset === 0 ? head : await source.read(offset, 8);
      if (HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) return true;
    }
    return false;
  },
  async open(source, location) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location))
      throw new InputError(
        `${location}: NetCDF-4/HDF5 is read from local files only; download it first`,
      );
    await source.close?.(); // h5wasm opens the file itself
    return openHdf5(location);
  },
};
