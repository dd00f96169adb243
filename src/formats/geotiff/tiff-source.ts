import type { GeoTIFF } from "geotiff";
import type { ByteSource } from "../../storage/store.js";
import { toBuffer } from "./ifd-scan.js";

/** The source type geotiff.js reads through (its `BaseSource`, which it does not export). */
export type GeotiffSource = GeoTIFF["source"];

/**
 * Lets geotiff.js read through one of our `ByteSource`s (a local file, HTTP range reads,
 * S3...), so it fetches only the header, the IFDs and the tiles asked for, never the whole
 * file. geotiff.js asks for fixed-size slices (1 KiB at the header and at each IFD) that
 * may run past the end of a small file; those are cut at the end, as its own file source
 * does.
 */
export function geotiffSource(source: ByteSource, size: number): GeotiffSource {
  const readSlice = async (offset: number, length: number): Promise<ArrayBuffer> => {
    const available = Math.max(0, Math.min(length, size - offset));
    return available === 0 ? new ArrayBuffer(0) : toBuffer(await source.read(offset, available));
  };
  return {
    fetch: (slices) => Promise.all(slices.map((s) => readSlice(s.offset, s.length))),
    fetchSlice: async (slice) => ({ ...slice, data: await readSlice(slice.offset, slice.length) }),
    get fileSize() {
      return size;
    },
    // the ByteSource belongs to the caller, who closes it
    close: async () => undefined,
  };
}
