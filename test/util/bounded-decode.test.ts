import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { createChunkCodec } from "../../src/formats/zarr/codec-pipeline.js";
import {
  DecodeLimitError,
  inflateBounded,
  zstdFrameContentSize,
} from "../../src/util/bounded-decode.js";
import { gzipBomb, zstdFrame } from "../reliability/hostile-files.js";

test("zstdFrameContentSize reads what zstd itself reads from a frame header (every size field width)", async (t) => {
  let napi: typeof import("zstd-napi");
  try {
    napi = await import("zstd-napi" as string);
  } catch {
    t.skip("zstd-napi is not installed here: no reference reader of frame headers");
    return;
  }
  const binding = (await import("zstd-napi/binding.js" as string)) as {
    getFrameContentSize(b: Uint8Array): number | null;
  };
  const sizeOf = (b: Uint8Array) =>
    (
      binding.getFrameContentSize ??
      (binding as never as { default: typeof binding }).default.getFrameContentSize
    )(b);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300_000 }), fc.boolean(), (n, sized) => {
      const c = new napi.Compressor();
      c.setParameters({ contentSizeFlag: sized, compressionLevel: 1 });
      const frame = c.compress(Buffer.alloc(n, 7));
      assert.equal(zstdFrameContentSize(frame), sizeOf(frame));
    }),
    { numRuns: 60 },
  );
  // 8-byte sizes (a header that claims 3.9 GB) and none at all
  for (const declare of [3.9e9, 2 ** 40, undefined]) {
    const frame = zstdFrame(1 << 17, declare);
    assert.equal(zstdFrameContentSize(frame), sizeOf(frame) ?? null);
  }
  assert.equal(zstdFrameContentSize(new TextEncoder().encode("not zstd")), undefined);
});

test("inflateBounded: exactly the stream when it fits, a DecodeLimitError past the limit (gzip, zlib, raw)", () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 251));
  const streams = { gzip: gzipSync(data), zlib: deflateSync(data), raw: deflateRawSync(data) };
  for (const [format, stream] of Object.entries(streams) as [keyof typeof streams, Buffer][]) {
    assert.deepEqual(inflateBounded(stream, format, data.length), data, format);
    assert.throws(() => inflateBounded(stream, format, data.length - 1), DecodeLimitError, format);
  }
  // a 64 MB bomb in a 4 KB limit: refused, and never more than the limit held
  assert.throws(() => inflateBounded(gzipBomb(64 << 20), "gzip", 4096), /more than the 4096 bytes/);
});

test("a chunk's codecs decode into at most the chunk: bombs and lying frames refused for zstd, gzip, zlib, blosc, lz4", async () => {
  const shape = [32, 32];
  const values = Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i));
  const configs: Record<string, Record<string, unknown>> = {
    blosc: { cname: "lz4", shuffle: "shuffle" },
  };
  for (const name of ["zstd", "gzip", "zlib", "blosc", "lz4"]) {
    const codec = await createChunkCodec(
      [{ name: "bytes" }, { name, configuration: configs[name] ?? {} }],
      "float32",
      shape,
      "t.zarr/a",
    );
    const stored = await codec.encode(values);
    assert.deepEqual(await codec.decode(stored), values, `${name} round trip`);
    assert.ok(stored.length <= codec.maxEncodedBytes, `${name}: ${stored.length} within the bound`);
  }
  const zstd = await createChunkCodec(
    [{ name: "bytes" }, { name: "zstd" }],
    "float32",
    shape,
    "t.zarr/a",
  );
  await assert.rejects(
    zstd.decode(zstdFrame(1 << 17, 3.9e9)),
    /claims 3900000000 decoded bytes, more than the 4096/,
  );
  await assert.rejects(
    zstd.decode(zstdFrame(64 << 20)),
    /zstd stream decodes to more than the 4096 bytes/,
  );
  // the frame's declared size is fine, its blocks are not: refused, by zstd or by the limit
  await assert.rejects(zstd.decode(zstdFrame(64 << 20, 4096)), /zstd data is damaged/);
  const blosc = await createChunkCodec(
    [{ name: "bytes" }, { name: "blosc", configuration: configs.blosc }],
    "float32",
    shape,
    "t.zarr/a",
  );
  const lying = Buffer.from(await blosc.encode(values));
  lying.writeUInt32LE(3.9e9, 4);
  await assert.rejects(blosc.decode(lying), /blosc frame claims 3900000000/);
});
