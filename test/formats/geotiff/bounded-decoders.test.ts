import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import {
  blockBytes,
  lzwDecode,
  packbitsDecode,
} from "../../../src/formats/geotiff/bounded-decoders.js";
import { DecodeLimitError } from "../../../src/util/bounded-decode.js";
import { lzwBomb, packbitsBomb } from "../../reliability/hostile-files.js";

/** geotiff.js's own decoder for `name` (the one ours replace), as the reference. */
async function original(name: string): Promise<(b: Uint8Array) => Uint8Array> {
  const file = path.resolve("node_modules/geotiff/dist-module/compression", `${name}.js`);
  const { default: Decoder } = await import(pathToFileURL(file).href);
  const d = new Decoder({});
  return (b) => new Uint8Array(d.decodeBlock(b.slice().buffer));
}

test("PackBits: the same bytes as geotiff.js's decoder on random streams, and refused past the limit", async () => {
  const reference = await original("packbits");
  // runs (header -1..-127) and literals (0..127); -128 is a no-op in TIFF 6.0 and libtiff,
  // where geotiff.js repeats the next byte 129 times (no writer emits it): checked apart
  const op = fc.oneof(
    fc
      .tuple(fc.integer({ min: -127, max: -1 }), fc.integer({ min: 0, max: 255 }))
      .map(([h, v]) => [h & 0xff, v]),
    fc.uint8Array({ minLength: 1, maxLength: 128 }).map((lit) => [lit.length - 1, ...lit]),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const stream = Uint8Array.from(ops.flat());
      const want = reference(stream);
      assert.deepEqual(packbitsDecode(stream, want.length), want);
      if (want.length > 0)
        assert.throws(() => packbitsDecode(stream, want.length - 1), DecodeLimitError);
    }),
    { numRuns: 200 },
  );
  assert.deepEqual(
    packbitsDecode(Uint8Array.from([0x80, 0xff, 7, 0x80]), 8),
    Uint8Array.from([7, 7]),
  );
  assert.throws(() => packbitsDecode(packbitsBomb(1 << 20), 256), /more than the 256 bytes/);
});

test("LZW: the same bytes as geotiff.js's decoder (clears, 9 to 12-bit codes), and refused past the limit", async () => {
  const reference = await original("lzw");
  for (const n of [1, 2, 100, 5000, 200_000, 3_000_000]) {
    const stream = lzwBomb(n);
    const want = reference(stream);
    assert.ok(want.length >= n, `${want.length} bytes for ${n}`);
    assert.deepEqual(lzwDecode(stream, want.length), want, `${n} zeros`);
    assert.throws(() => lzwDecode(stream, want.length - 1), DecodeLimitError);
  }
});

test("blockBytes: a block's decoded size for chunky and planar layouts, sub-byte samples rounded up per row", () => {
  const p = { tileWidth: 10, tileHeight: 3, planarConfiguration: 1 };
  assert.equal(blockBytes({ ...p, bitsPerSample: [8, 8, 8] }), 90);
  assert.equal(blockBytes({ ...p, bitsPerSample: [16, 16], planarConfiguration: 2 }), 60);
  assert.equal(blockBytes({ ...p, bitsPerSample: 1 }), 6);
  assert.equal(blockBytes({ ...p, bitsPerSample: new Uint16Array([32]) }), 120);
});
