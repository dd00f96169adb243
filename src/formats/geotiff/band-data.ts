import type { GeoTIFFImage } from "geotiff";
import { ChunkGrid, DimChunks } from "../../array/chunk-grid.js";
import { type Attrs, type ChunkedArray, type FillValue } from "../../array/chunked-array.js";
import { allocate, arrayClass, isFloat, type DType, type TypedArray } from "../../array/dtype.js";
import { DaeError, FormatError } from "../../util/errors.js";
import { jpegFrameSize } from "./jpeg-frame.js";

/** What `bandData` needs besides the image. */
export interface BandDataOptions {
  /** `<url>:band_data`, for messages. */
  source: string;
  fileSize: number;
  dtype: DType;
  fillValue: FillValue;
  attrs: Attrs;
  encoding: Attrs;
}

/**
 * The pixels of one TIFF image as a (band, y, x) chunked array whose chunks are the file's
 * tiles (or strips: full-width blocks of RowsPerStrip rows). With bands interleaved by pixel
 * (PlanarConfiguration 1) a tile holds every band, so a chunk spans all bands; with
 * separate planes each band has its own tiles and a chunk is one band. Reading a chunk
 * fetches and decodes that one tile or strip through geotiff.js (decompression, predictors,
 * byte order, sample types).
 */
export async function bandData(
  image: GeoTIFFImage,
  options: BandDataOptions,
): Promise<ChunkedArray> {
  const { source, fileSize, dtype } = options;
  const width = image.getWidth();
  const height = image.getHeight();
  const bands = image.getSamplesPerPixel();
  const tileWidth = image.getTileWidth();
  const tileHeight = image.getTileHeight();
  const separate = image.planarConfiguration === 2;
  const chunks = new ChunkGrid([
    DimChunks.regular(bands, separate ? 1 : bands),
    DimChunks.regular(height, tileHeight),
    DimChunks.regular(width, tileWidth),
  ]);
  const across = chunks.dims[2].count;
  const perBand = across * chunks.dims[1].count;
  const kind = image.isTiled ? "tile" : "strip";
  const fd = image.getFileDirectory();
  const offsets = listOf(await fd.loadValue(image.isTiled ? "TileOffsets" : "StripOffsets"));
  const byteCounts = listOf(
    await fd.loadValue(image.isTiled ? "TileByteCounts" : "StripByteCounts"),
  );
  const expected = perBand * (separate ? bands : 1);
  if (offsets.length !== expected || byteCounts.length !== expected)
    throw new FormatError(
      `${source}: the file lists ${offsets.length} ${kind} offsets and ${byteCounts.length} byte counts, expected ${expected} for a ${width} x ${height} image in ${tileWidth} x ${tileHeight} ${kind}s`,
    );
  const allSamples = Array.from({ length: bands }, (_, b) => b);
  // geotiff.js 3.0.5 undoes horizontal differencing on 16/32-bit samples in the host's byte
  // order, which garbles big-endian files; there we decode without it and undo it ourselves
  // on the decoded values (the same sums, as differences wrap around like the integer type)
  const ownPredictor =
    !image.littleEndian && (await fd.loadValue("Predictor")) === 2 && image.getBitsPerSample() > 8;
  if (ownPredictor) {
    fd.actualizedFields.set(TAG_PREDICTOR, 1);
    // float samples are differenced as integers, and the differences' bit patterns can be
    // signalling NaNs, which a float read may quieten: read them as unsigned integers
    if (isFloat(dtype))
      fd.actualizedFields.set(
        TAG_SAMPLE_FORMAT,
        allSamples.map(() => 1),
      );
  }
  const jpeg = Number(await fd.loadValue("Compression")) === TIFF_JPEG;

  return {
    source,
    shape: [bands, height, width],
    dtype,
    dims: ["band", "y", "x"],
    chunks,
    fillValue: options.fillValue,
    attrs: options.attrs,
    encoding: options.encoding,
    async readChunk(coords) {
      chunks.checkCoords(coords, source);
      const [band, ty, tx] = coords;
      const index = (separate ? band * perBand : 0) + ty * across + tx;
      const offset = Number(offsets[index]);
      const byteCount = Number(byteCounts[index]);
      const where = `${source}: chunk [${coords}] (TIFF ${kind} ${index}, ${byteCount} bytes at byte ${offset})`;
      if (byteCount > 0 && !(offset >= 0 && offset + byteCount <= fileSize))
        throw new FormatError(
          `${where} lies past the end of the file (${fileSize} bytes; truncated?)`,
        );
      if (jpeg && byteCount > 0) {
        const [block] = await image.source.fetch([{ offset, length: byteCount }]);
        const frame = jpegFrameSize(new Uint8Array(block));
        if (frame && (frame.width > tileWidth || frame.height > tileHeight))
          throw new FormatError(
            `${where}: its JPEG frame of ${frame.width} x ${frame.height} is larger than the ${tileWidth} x ${tileHeight} ${kind} (a lying header); refused`,
          );
      }
      const { start, stop } = chunks.chunkBox(coords);
      const samples = separate ? [band] : allSamples;
      let planes: ArrayLike<number>[];
      try {
        planes = await image.readRasters({
          window: [start[2], start[1], stop[2], stop[1]],
          samples,
          interleave: false,
        });
      } catch (e) {
        if (e instanceof DaeError) throw e; // I/O failures say what failed themselves
        throw new FormatError(`${where} cannot be decoded: ${(e as Error).message}`, { cause: e });
      }
      const rowLength = stop[2] - start[2];
      const planeSize = (stop[1] - start[1]) * rowLength;
      const type = arrayClass(dtype);
      if (ownPredictor)
        planes = planes.map((plane) => {
          accumulateRows(plane as TypedArray, rowLength);
          const { buffer, byteOffset, length } = plane as TypedArray;
          return isFloat(dtype) ? (new type(buffer, byteOffset, length) as Float32Array) : plane;
        });
      if (planes.length === 1 && planes[0] instanceof type) return planes[0] as TypedArray;
      const out = allocate(dtype, planeSize * planes.length);
      planes.forEach((plane, b) => (out as Float64Array).set(plane, b * planeSize));
      return out;
    },
  };
}

const TAG_PREDICTOR = 317;
const TAG_SAMPLE_FORMAT = 339;
/** Compression 7: each block one JPEG stream. */
const TIFF_JPEG = 7;

/**
 * Undoes TIFF horizontal differencing (predictor 2) in decoded values: a running sum along
 * each row, of the samples' bit patterns as integers of their size (GDAL differences float
 * samples that way too). A tile's rows start at its left edge, so a window clipped on the
 * right is fine.
 */
function accumulateRows(plane: TypedArray, rowLength: number): void {
  const { byteOffset, length } = plane;
  const buffer = plane.buffer as ArrayBuffer;
  if (plane.BYTES_PER_ELEMENT === 8) {
    const ints = new BigInt64Array(buffer, byteOffset, length);
    for (let row = 0; row < length; row += rowLength)
      for (let i = row + 1; i < row + rowLength; i++)
        ints[i] = BigInt.asIntN(64, ints[i] + ints[i - 1]);
    return;
  }
  const IntArray = plane.BYTES_PER_ELEMENT === 4 ? Int32Array : Int16Array;
  const ints = new IntArray(buffer, byteOffset, length);
  for (let row = 0; row < length; row += rowLength)
    for (let i = row + 1; i < row + rowLength; i++) ints[i] += ints[i - 1];
}

/** A TIFF array tag as a list (geotiff.js gives a lone value as a number). */
function listOf(value: unknown): ArrayLike<number | bigint> {
  if (value === undefined || value === null) return [];
  if (typeof value === "number" || typeof value === "bigint") return [value];
  return value as ArrayLike<number | bigint>;
}
