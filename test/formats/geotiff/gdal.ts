import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { arrayClass, type DType, type TypedArray } from "../../../src/array/dtype.js";

/** What `gdalinfo -json` says about a raster (the parts the tests compare). */
export interface GdalInfo {
  size: [number, number];
  geoTransform?: number[];
  bands: {
    block: [number, number];
    type: string;
    noDataValue?: number | string;
    overviews?: unknown[];
  }[];
  coordinateSystem?: { wkt: string };
}

export function gdalInfo(file: string): GdalInfo {
  return JSON.parse(
    execFileSync("gdalinfo", ["-json", file], { encoding: "utf8", maxBuffer: 1 << 26 }),
  ) as GdalInfo;
}

/** Runs gdal_translate with `args` from `src` to `dst`. */
export function gdalTranslate(src: string, dst: string, args: string[]): void {
  execFileSync("gdal_translate", ["-q", ...args, src, dst], { stdio: "pipe" });
}

/**
 * Every pixel GDAL reads from `file`, band by band (ENVI's band-sequential raw output is the
 * C-order (band, y, x) array), as the typed array of `dtype` (GDAL 3.6 has no int8 type: it
 * hands out the same bytes as "Byte", which an Int8Array reinterprets).
 */
export function gdalPixels(file: string, dir: string, dtype: DType): TypedArray {
  const raw = path.join(dir, `${path.basename(file)}.${Math.random().toString(36).slice(2)}.bin`);
  gdalTranslate(file, raw, ["-of", "ENVI", "-co", "INTERLEAVE=BSQ"]);
  const header = readFileSync(raw.replace(/\.bin$/, ".hdr"), "utf8");
  if (!/byte order = 0/.test(header) || !/interleave = bsq/.test(header))
    throw new Error(`unexpected ENVI layout: ${header}`);
  const bytes = readFileSync(raw);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return new (arrayClass(dtype))(copy);
}

/** Asserts equal values element by element (NaN equals NaN), naming the first difference. */
export function assertSameValues(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  what: string,
): void {
  if (got.length !== want.length)
    throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i];
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b)))
      throw new Error(`${what}[${i}]: got ${a}, expected ${b}`);
  }
}
