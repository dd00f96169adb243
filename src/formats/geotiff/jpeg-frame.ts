/**
 * The frame size a JPEG stream declares (its first SOF marker), or undefined where the stream
 * reaches its scan (or its end) without one. A JPEG-compressed TIFF tile or strip holds one
 * whole JPEG stream whose frame is that block (TIFF Technical Note 2): a frame larger than the
 * block is a lying header, and the JPEG decoder would allocate for all of it (a 16 x 16 tile
 * declaring 65535 x 65535 took 3.3 GB and did not finish in a minute).
 *
 * @example
 * ```ts
 * const frame = jpegFrameSize(tileBytes); // { width: 256, height: 256 }
 * ```
 */
export function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let at = 2; // after SOI
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // markers without a length: SOI, TEM, RSTn
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // the scan, or the end: no frame
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame && at + 9 <= bytes.length)
      return {
        height: (bytes[at + 5] << 8) | bytes[at + 6],
        width: (bytes[at + 7] << 8) | bytes[at + 8],
      };
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  return undefined;
}
