import { test } from "node:test";
import assert from "node:assert/strict";
import Zstd from "numcodecs/zstd";
import { zstdCodec } from "../../../src/formats/zarr/codecs/zstd.js";

const data = new Uint8Array(new Float32Array(Array.from({ length: 50_000 }, (_, i) => Math.sin(i / 100) * 300)).buffer);

test("zstd frames from the native binding and from the wasm fallback decode each other", async (t) => {
  const native = await zstdCodec({ level: 1 });
  const wasm = Zstd.fromConfig({ id: "zstd", level: 1 } as never);
  let hasNative = true;
  try {
    await import("zstd-napi" as string);
  } catch {
    hasNative = false;
  }
  const fromOurs = (await native.encode(data as never)) as Uint8Array;
  assert.deepEqual(new Uint8Array(await wasm.decode(fromOurs as never)), data);
  const fromWasm = await wasm.encode(data as never);
  assert.deepEqual(new Uint8Array((await native.decode(fromWasm as never)) as Uint8Array), data);
  if (!hasNative) t.diagnostic("zstd-napi is not installed here: the wasm codec was checked against itself");
});
