import { GeoTIFF, type GeoTIFFImage } from "geotiff";
import type { Attrs, ChunkedArray, FillValue } from "../../array/chunked-array.js";
import { isFloat, type DType } from "../../array/dtype.js";
import { fromTypedArray } from "../../array/memory-array.js";
import type { ByteSource } from "../../storage/store.js";
import { DaeError, FormatError } from "../../util/errors.js";
import type { RawDataset } from "../raw-dataset.js";
import { bandData } from "./band-data.js";
import "./bounded-decoders.js";
import { bandMetadata, gdalMetadata, parseNodata } from "./gdal-metadata.js";
import { georeference, pixelCentres } from "./georeference.js";
import { scanTiff, type TiffLayout } from "./ifd-scan.js";
import { geotiffSource } from "./tiff-source.js";

/** TIFF Compression codes geotiff.js decodes, by the names `dae info` shows. */
const COMPRESSORS: Record<number, string> = {
  1: "none",
  5: "lzw",
  7: "jpeg",
  8: "deflate",
  32946: "deflate",
  32773: "packbits",
  34887: "lerc",
  50000: "zstd",
};

/** Compressions named in refusals (geotiff.js needs a browser's image decoder for WebP). */
const UNSUPPORTED_COMPRESSORS: Record<number, string> = {
  34925: "LZMA",
  50001: "WebP",
  34712: "JPEG 2000",
  34933: "PNG",
  6: "old-style JPEG",
};

/** PhotometricInterpretation YCbCr: GDAL's JPEG recipe for RGB (`PHOTOMETRIC=YCBCR`). */
const PHOTOMETRIC_YCBCR = 6;

const PREDICTORS: Record<number, string> = { 1: "none", 2: "horizontal", 3: "floating-point" };

/** A decoded tile or strip larger than this is refused: its header is lying or absurd. */
const MAX_BLOCK_BYTES = 2 ** 30;

/**
 * More samples per pixel than this are refused: hyperspectral images have a few hundred
 * bands; 65,535 (the field's largest value) is a lying header.
 */
const MAX_SAMPLES = 4096;

/** Coordinate vectors above this length are refused, rather than allocated from a lying header. */
const MAX_SIDE = 2 ** 28;

/**
 * Opens a GeoTIFF or COG the way rioxarray/xarray present it: `band_data` (band, y, x)
 * chunked by the file's tiles or strips, 1-D coordinates `x` and `y` (pixel centres from
 * the geotransform) and `band` (1..n). Only the full-resolution image is read; overviews
 * are listed in `band_data.encoding.overviews`. Nothing is read but the header, the IFDs
 * and, later, the tiles asked for, so it works on large files and over HTTP.
 *
 * @example
 * ```ts
 * const ds = await openGeotiff(new FileSource("dem.tif"));
 * const tile = await ds.variables.get("band_data")!.readChunk([0, 0, 0]);
 * ```
 */
export async function openGeotiff(source: ByteSource): Promise<RawDataset> {
  const fileSize = await source.size();
  const layout = await scanTiff(source, fileSize);
  try {
    const tiff = await GeoTIFF.fromSource(geotiffSource(source, fileSize));
    // Eager parsing reads out-of-line tag values (tile offsets, GeoKey params, GDAL
    // metadata) while parsing the IFD. Lazily loaded arrays in geotiff.js 3.0.5 ignore the
    // file's byte order, which breaks big-endian files; the scan has already checked that
    // every value lies inside the file, so reading them now is bounded.
    tiff.parser.eager = true;
    return await describe(source, fileSize, layout, await tiff.getImage(0));
  } catch (e) {
    // geotiff.js throws plain Errors (and RangeErrors from DataViews) on malformed tags
    if (e instanceof DaeError) throw e;
    throw new FormatError(
      `${source.url}: cannot parse the first TIFF image: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** The dataset of the first image, checked against what this reader supports. */
async function describe(
  source: ByteSource,
  fileSize: number,
  layout: TiffLayout,
  image: GeoTIFFImage,
): Promise<RawDataset> {
  const url = source.url;
  const fd = image.getFileDirectory();
  const width = image.getWidth();
  const height = image.getHeight();
  const bands = image.getSamplesPerPixel();
  const check = (ok: boolean, why: string) => {
    if (!ok) throw new FormatError(`${url}: ${why}`);
  };
  check(
    width >= 1 && height >= 1 && width <= MAX_SIDE && height <= MAX_SIDE,
    `unsupported image size ${width} x ${height}`,
  );
  check(
    bands >= 1 && bands <= MAX_SAMPLES,
    `SamplesPerPixel ${bands} is outside 1..${MAX_SAMPLES} (a corrupt or hostile header); refused`,
  );
  const tileWidth = image.getTileWidth();
  const tileHeight = image.getTileHeight();
  check(
    tileWidth >= 1 && tileHeight >= 1,
    `invalid ${image.isTiled ? "tile" : "strip"} size ${tileWidth} x ${tileHeight}`,
  );
  const dtype = sampleDType(fd.getValue("SampleFormat"), fd.getValue("BitsPerSample"), bands, url);
  const bytesPerPixel = image.getBytesPerPixel();
  check(
    tileWidth * tileHeight * bytesPerPixel <= MAX_BLOCK_BYTES,
    `a ${tileWidth} x ${tileHeight} block of ${bytesPerPixel}-byte pixels is too large to decode`,
  );
  const compression = Number(fd.getValue("Compression") ?? 1);
  check(
    compression in COMPRESSORS,
    `unsupported TIFF compression ${UNSUPPORTED_COMPRESSORS[compression] ?? ""} (${compression})`.replace(
      "  ",
      " ",
    ),
  );
  // geotiff.js hands out the Y, Cb and Cr planes, and its colour conversion is not GDAL's
  // (libjpeg's upsampling and rounding): refused rather than read as bands that look right
  check(
    Number(fd.getValue("PhotometricInterpretation")) !== PHOTOMETRIC_YCBCR,
    `pixels stored as YCbCr (PhotometricInterpretation 6, ${COMPRESSORS[compression]}) are not supported; convert to RGB first (gdal_translate -co PHOTOMETRIC=RGB)`,
  );

  const geo = georeference(image);
  const nodata = parseNodata(fd.getValue("GDAL_NODATA"));
  const bandAttrs: Attrs = {
    ...(await bandMetadata(image, bands)),
    AREA_OR_POINT: geo.areaOrPoint,
  };
  if (nodata !== undefined) bandAttrs._FillValue = nodata;
  const predictor = Number((await fd.loadValue("Predictor")) ?? 1);
  const encoding: Attrs = {
    format: "geotiff",
    compressor: COMPRESSORS[compression],
    predictor: PREDICTORS[predictor] ?? predictor,
    layout: image.isTiled ? "tiled" : "striped",
    blockShape: [tileHeight, tileWidth],
    interleave: image.planarConfiguration === 2 ? "band" : "pixel",
    byteOrder: layout.littleEndian ? "little" : "big",
    bigTiff: layout.bigTiff,
    overviews: overviewSizes(layout),
  };

  const variables = new Map<string, ChunkedArray>();
  variables.set(
    "band_data",
    await bandData(image, {
      source: `${url}:band_data`,
      fileSize,
      dtype,
      fillValue: fillValueFor(nodata, dtype),
      attrs: bandAttrs,
      encoding,
    }),
  );
  variables.set(
    "band",
    fromTypedArray(
      Int32Array.from({ length: bands }, (_, b) => b + 1),
      { shape: [bands], dims: ["band"], source: `${url}:band` },
    ),
  );
  const [x0, dx, rx, y0, ry, dy] = geo.geotransform;
  // a rotated or sheared grid has no 1-D x/y coordinates; the geotransform says where it is
  if (rx === 0 && ry === 0) {
    const model = (geo.attrs.geokeys as Attrs | undefined)?.GTModelTypeGeoKey;
    variables.set("x", coordinate(pixelCentres(x0, dx, width), "x", url, axisAttrs("X", model)));
    variables.set("y", coordinate(pixelCentres(y0, dy, height), "y", url, axisAttrs("Y", model)));
  }
  const attrs: Attrs = { ...(await gdalMetadata(image, null)), ...geo.attrs };
  if (geo.georeferenced) attrs.geotransform = geo.geotransform;
  return {
    format: "geotiff",
    source: url,
    variables,
    attrs,
    close: async () => source.close?.(),
  };
}

/** The dtype of the samples; every band must have the same. */
function sampleDType(formats: unknown, bits: unknown, bands: number, url: string): DType {
  const formatList = formats ? Array.from(formats as ArrayLike<number>) : [1];
  const bitList = bits ? Array.from(bits as ArrayLike<number>) : [1];
  const format = formatList[0];
  const size = bitList[0];
  if (
    formatList.some((f) => f !== format) ||
    bitList.some((b) => b !== size) ||
    bitList.length !== bands
  )
    throw new FormatError(
      `${url}: bands of different sample types (SampleFormat ${formatList}, BitsPerSample ${bitList}) are not supported`,
    );
  const names: Record<number, Record<number, DType>> = {
    1: { 8: "uint8", 16: "uint16", 32: "uint32" },
    2: { 8: "int8", 16: "int16", 32: "int32" },
    3: { 16: "float16", 32: "float32", 64: "float64" },
  };
  const dtype = names[format]?.[size];
  if (!dtype)
    throw new FormatError(
      `${url}: unsupported sample type (SampleFormat ${format}, ${size} bits per sample)`,
    );
  return dtype;
}

/** The nodata value as the array's fill value, when the dtype can hold it. */
function fillValueFor(nodata: number | undefined, dtype: DType): FillValue {
  if (nodata === undefined) return null;
  if (isFloat(dtype)) return nodata;
  const bits = Number(dtype.replace(/\D/g, ""));
  const [lo, hi] = dtype.startsWith("u")
    ? [0, 2 ** bits - 1]
    : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
  return Number.isInteger(nodata) && nodata >= lo && nodata <= hi ? nodata : null;
}

/** Sizes (`width x height`) of the reduced-resolution images after the first. */
function overviewSizes(layout: TiffLayout): string[] {
  return layout.ifds
    .slice(1)
    .filter((ifd) => (ifd.subfileType & 1) === 1 && (ifd.subfileType & 4) === 0)
    .map((ifd) => `${ifd.width}x${ifd.height}`);
}

function coordinate(values: Float64Array, dim: string, url: string, attrs: Attrs): ChunkedArray {
  return fromTypedArray(values, {
    shape: [values.length],
    dims: [dim],
    source: `${url}:${dim}`,
    attrs,
  });
}

/** CF attributes of the x/y axes, by the GeoTIFF model type (1 projected, 2 geographic). */
function axisAttrs(axis: "X" | "Y", model: unknown): Attrs {
  if (model === 2)
    return axis === "X"
      ? { axis, standard_name: "longitude", long_name: "longitude", units: "degrees_east" }
      : { axis, standard_name: "latitude", long_name: "latitude", units: "degrees_north" };
  if (model === 1)
    return {
      axis,
      standard_name: `projection_${axis.toLowerCase()}_coordinate`,
      long_name: `${axis.toLowerCase()} coordinate of projection`,
    };
  return { axis };
}
