import type { FileFormat } from "../registry.js";
import { openNetcdf3 } from "./index.js";

/** NetCDF-3 classic (`CDF\x01`), 64-bit offset (`CDF\x02`) and CDF-5 (`CDF\x05`). */
export const format: FileFormat = {
  kind: "file",
  name: "netcdf3",
  title: "NetCDF-3",
  sniff: (head) =>
    head[0] === 0x43 && head[1] === 0x44 && head[2] === 0x46 && [1, 2, 5].includes(head[3]),
  open: (source) => openNetcdf3(source),
};
