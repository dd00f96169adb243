import type { StoreFormat } from "../registry.js";
import { isZarr, openZarr } from "./open.js";

/** Zarr v2 and v3 stores, groups and arrays (sharding included). */
export const format: StoreFormat = {
  kind: "store",
  name: "zarr",
  title: "Zarr store",
  detect: (store) => isZarr(store),
  open: (store) => openZarr(store),
};
