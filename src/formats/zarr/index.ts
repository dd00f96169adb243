/**
 * Zarr v2 and v3: read (groups, consolidated metadata, sharding) and write (arrays, groups,
 * sharded arrays, consolidated metadata). Codecs come from zarrita and numcodecs, with the
 * few they lack (encoders for crc32c, fixedscaleoffset; shard writing) in this folder.
 */
export { openZarr, isZarr } from "./open.js";
export {
  createZarrArray,
  createZarrGroup,
  consolidateMetadata,
  type ZarrArrayOptions,
} from "./create.js";
