import type { GeoTIFFImage } from "geotiff";
import type { AttrValue, Attrs } from "../../array/chunked-array.js";

/** Where the pixels of an image are on the earth, as GDAL reads it. */
export interface Georeference {
  /**
   * GDAL's geotransform `[x0, dx, rx, y0, ry, dy]`: pixel (col, row) has its top-left corner
   * at `(x0 + col*dx + row*rx, y0 + col*ry + row*dy)`. `[0, 1, 0, 0, 0, 1]` when the file
   * has none (then coordinates are pixel indices, as GDAL and rioxarray do).
   */
  geotransform: number[];
  /** Whether the file says where it is (a transform or a tie point with a pixel scale). */
  georeferenced: boolean;
  /** GTRasterTypeGeoKey: whether a value covers its pixel's area or sits at a point. */
  areaOrPoint: "Area" | "Point";
  /** The GeoKeys and the EPSG code of the CRS when there is one (`crs_epsg`). */
  attrs: Attrs;
}

/** EPSG's code for "user-defined": the CRS is spelled out in other keys, not a code. */
const USER_DEFINED = 32767;

/**
 * Reads the geotransform from ModelTransformation, or from ModelTiepoint + ModelPixelScale,
 * with GDAL's conventions, so that coordinates equal what `gdalinfo` reports: a
 * PixelIsPoint file is shifted by half a pixel so that the transform always gives pixel
 * corners.
 */
export function georeference(image: GeoTIFFImage): Georeference {
  const fd = image.getFileDirectory();
  const geoKeys = image.getGeoKeys() ?? {};
  const areaOrPoint = geoKeys.GTRasterTypeGeoKey === 2 ? "Point" : "Area";
  const transform = fd.getValue("ModelTransformation") as ArrayLike<number> | undefined;
  const tiepoint = fd.getValue("ModelTiepoint") as ArrayLike<number> | undefined;
  const scale = fd.getValue("ModelPixelScale") as ArrayLike<number> | undefined;
  let gt: number[] | undefined;
  if (transform && transform.length >= 16) {
    gt = [transform[3], transform[0], transform[1], transform[7], transform[4], transform[5]];
  } else if (tiepoint && tiepoint.length === 6 && scale && scale.length >= 2) {
    const [i, j, , x, y] = Array.from(tiepoint);
    gt = [x - i * scale[0], scale[0], 0, y + j * scale[1], 0, -scale[1]];
  }
  if (gt && areaOrPoint === "Point") {
    gt[0] -= 0.5 * (gt[1] + gt[2]);
    gt[3] -= 0.5 * (gt[4] + gt[5]);
  }
  const attrs: Attrs = {};
  const epsg = crsEpsg(geoKeys);
  if (epsg !== undefined) attrs.crs_epsg = epsg;
  if (Object.keys(geoKeys).length > 0) attrs.geokeys = plainGeoKeys(geoKeys);
  return {
    geotransform: gt ?? [0, 1, 0, 0, 0, 1],
    georeferenced: gt !== undefined,
    areaOrPoint,
    attrs,
  };
}

/** The EPSG code of the projected CRS, else of the geographic CRS, when one is given. */
function crsEpsg(geoKeys: Record<string, unknown>): number | undefined {
  for (const key of ["ProjectedCSTypeGeoKey", "GeographicTypeGeoKey"]) {
    const code = geoKeys[key];
    if (typeof code === "number" && code > 0 && code !== USER_DEFINED) return code;
  }
  return undefined;
}

/** GeoKeys as JSON-like attribute values (typed arrays to lists, citations without the `|`). */
function plainGeoKeys(geoKeys: Record<string, unknown>): Attrs {
  const out: Attrs = {};
  for (const [key, value] of Object.entries(geoKeys)) {
    if (typeof value === "string") out[key] = value.replace(/\|$/, "");
    else if (typeof value === "number") out[key] = value;
    else if (ArrayBuffer.isView(value))
      out[key] = Array.from(value as unknown as ArrayLike<number>) as AttrValue;
  }
  return out;
}

/** Pixel-centre coordinates along one axis: `origin + (i + 0.5) * step`. */
export function pixelCentres(origin: number, step: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = origin + (i + 0.5) * step;
  return out;
}
