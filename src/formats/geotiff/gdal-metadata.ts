import type { GeoTIFFImage } from "geotiff";
import type { Attrs } from "../../array/chunked-array.js";

/**
 * The GDAL_NODATA tag (ASCII: `-9999`, `nan`, `-inf`...) as a number, or undefined when
 * absent or unreadable.
 */
export function parseNodata(tag: unknown): number | undefined {
  if (typeof tag !== "string") return undefined;
  const text = tag.replace(/\0/g, "").trim().toLowerCase();
  if (text === "nan") return NaN;
  if (text === "inf" || text === "+inf") return Infinity;
  if (text === "-inf") return -Infinity;
  const value = text === "" ? NaN : Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/**
 * GDAL's metadata items (the GDAL_METADATA XML tag): dataset-level ones (`sample` null) or
 * those of one band. Numbers stay numbers, as rioxarray reads them.
 *
 * For a band, rioxarray's rule applies: plain items named `scale_factor`, `add_offset` or
 * `_FillValue` are dropped (GDAL copies them from a NetCDF source even after unpacking, and
 * keeping them would unpack the values twice); the band's own scale and offset (GDAL's
 * SCALE and OFFSET items) become `scale_factor` and `add_offset`, and nodata `_FillValue`.
 */
export async function gdalMetadata(image: GeoTIFFImage, sample: number | null): Promise<Attrs> {
  const items = (await image.getGDALMetadata(sample)) ?? {};
  const out: Attrs = {};
  for (const [name, raw] of Object.entries(items)) {
    if (sample !== null && DROPPED_BAND_KEYS.has(name)) continue;
    const text = unescapeXml(String(raw));
    const key = sample === null ? name : (RENAMED_BAND_KEYS[name] ?? name);
    out[key] = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : text;
  }
  return out;
}

const DROPPED_BAND_KEYS = new Set(["scale_factor", "add_offset", "_FillValue"]);
const RENAMED_BAND_KEYS: Record<string, string> = { SCALE: "scale_factor", OFFSET: "add_offset" };

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" };
    if (e[0] !== "#") return named[e.toLowerCase()];
    return String.fromCodePoint(
      e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)),
    );
  });
}

/** Attributes shared by every band: one band's items, or the items equal in all bands. */
export async function bandMetadata(image: GeoTIFFImage, bands: number): Promise<Attrs> {
  const first = await gdalMetadata(image, 0);
  for (let b = 1; b < bands; b++) {
    const other = await gdalMetadata(image, b);
    for (const key of Object.keys(first)) if (other[key] !== first[key]) delete first[key];
  }
  return first;
}
