import { test } from "node:test";
import assert from "node:assert/strict";
import Zstd from "numcodecs/zstd";
import { zstdCodec } from "../../../src/formats/zarr/codecs/zstd.js";
import { codecsInPool, poolZstd, useCodecPool } from "../../../src/util/codec-threads.js";

const data = new Uint8Array(
  new Float32Array(Array.from({ length: 50_000 }, (_, i) => Math.sin(i / 100) * 300)).buffer,
);

test("zstd frames from the native binding and from the wasm fallback decode each other", async (t) => {
  const native = await zstdCodec({ level: 1 });
  const wasm = Zstd.fromConfig({ id: "zstd", level: 1 } as never);
  let hasNative = true;
  try {
    await import("zstd-napi" as string);
  } catch {
    hasNative = false;
  }
  // on this thread (zstd-napi) and in the thread pool (dae-zstd-async), where it is built
  for (const inPool of [false, true]) {
    useCodecPool(inPool);
    const fromOurs = (await native.encode(data as never)) as Uint8Array;
    assert.deepEqual(
      new Uint8Array(await wasm.decode(fromOurs as never)),
      data,
      `inPool ${inPool}`,
    );
    const fromWasm = await wasm.encode(data as never);
    assert.deepEqual(
      new Uint8Array((await native.decode(fromWasm as never, data.length)) as Uint8Array),
      data,
      `inPool ${inPool}`,
    );
  }
  useCodecPool(false);
  if (!poolZstd())
    t.diagnostic(
      "dae-zstd-async is not built here (no system libzstd): the thread-pool path was not checked",
    );
  if (!hasNative)
    t.diagnostic("zstd-napi is not installed here: the wasm codec was checked against itself");
});

test("zstd decodes frames without their content size, several frames in a row, and refuses a damaged frame", async (t) => {
  let napi: typeof import("zstd-napi");
  try {
    napi = await import("zstd-napi" as string);
  } catch {
    t.skip(
      "zstd-napi is not installed here: these are frames only the native path decodes into scratch buffers",
    );
    return;
  }
  const codec = await zstdCodec({ level: 1 });
  const decode = async (b: Uint8Array) =>
    new Uint8Array((await codec.decode(b as never, data.length)) as Uint8Array);
  for (const inPool of [false, true]) {
    useCodecPool(inPool);
    assert.equal(codecsInPool(), inPool && poolZstd() !== undefined);
    await checkFrames(napi, codec, decode);
  }
  useCodecPool(false);
});

async function checkFrames(
  napi: typeof import("zstd-napi"),
  codec: Awaited<ReturnType<typeof zstdCodec>>,
  decode: (b: Uint8Array) => Promise<Uint8Array>,
) {
  const unsized = new napi.Compressor();
  unsized.setParameters({ contentSizeFlag: false, compressionLevel: 1 });
  assert.deepEqual(await decode(unsized.compress(data)), data, "a frame without its size");
  const half = data.length / 2;
  const two = Buffer.concat([
    napi.compress(data.subarray(0, half)),
    napi.compress(data.subarray(half)),
  ]);
  assert.deepEqual(await decode(two), data, "two frames, the first one's size in its header");
  const damaged = Uint8Array.from(napi.compress(data));
  damaged.fill(0x55, 20, 60);
  await assert.rejects(async () => decode(damaged));
  // what the codec encodes is a frame of the data, also when it lands in a reused buffer
  for (let i = 0; i < 3; i++)
    assert.deepEqual(await decode((await codec.encode(data as never)) as Uint8Array), data);
}
