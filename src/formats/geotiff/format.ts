import type { FileFormat } from "../registry.js";

const TIFF_MAGIC = [
  [0x49, 0x49, 0x2a, 0], // II*\0: TIFF, little-endian
  [0x4d, 0x4d, 0, 0x2a], // MM\0*: TIFF, big-endian
  [0x49, 0x49, 0x2b, 0], // BigTIFF
  [0x4d, 0x4d, 0, 0x2b],
];

/** TIFF, BigTIFF, GeoTIFF and Cloud-Optimized GeoTIFF. */
export const format: FileFormat = {
  kind: "file",
  name: "geotiff",
  title: "GeoTIFF",
  sniff: (head) => TIFF_MAGIC.some((magic) => magic.every((b, i) => head[i] === b)),
  // geotiff.js takes most of a second to load: only commands that open a TIFF pay for it
  open: async (source) => (await import("./index.js")).openGeotiff(source),
};
