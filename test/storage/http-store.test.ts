import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { HttpSource, HttpStore } from "../../src/storage/http-store.js";
import { FileSource, FsStore } from "../../src/storage/fs-store.js";
import { DaeError, FormatError, InputError } from "../../src/util/errors.js";
import { serveFiles, type TestServerOptions } from "../http-server.js";
import { tempDir } from "../helpers.js";
import type { TestContext } from "node:test";

const noWait = { retryDelayMs: 1 };

/** A served folder holding `data.bin` (200 000 random bytes) and `g/a b.json`. */
async function setup(t: TestContext, options: TestServerOptions = {}) {
  const dir = tempDir(t);
  const data = new Uint8Array(randomBytes(200_000));
  writeFileSync(path.join(dir, "data.bin"), data);
  mkdirSync(path.join(dir, "g"));
  writeFileSync(path.join(dir, "g", "a b.json"), '{"ok":true}');
  const server = await serveFiles(dir, options);
  t.after(() => server.close());
  return { dir, data, server };
}

test("HttpStore get, getRange (prefix and suffix), size and 404", async (t) => {
  const { data, server } = await setup(t);
  const store = new HttpStore(server.url + "/", noWait);
  assert.deepEqual(await store.get("data.bin"), data);
  assert.equal(new TextDecoder().decode(await store.get("g/a b.json")), '{"ok":true}');
  assert.deepEqual(await store.getRange("data.bin", 1000, 24), data.subarray(1000, 1024));
  assert.deepEqual(await store.getRange("data.bin", -100, 100), data.subarray(data.length - 100));
  assert.deepEqual(
    await store.getRange("data.bin", -100, 10),
    data.subarray(data.length - 100, data.length - 90),
  );
  // a range running past the end returns what there is, like FsStore
  assert.deepEqual(
    await store.getRange("data.bin", data.length - 5, 50),
    data.subarray(data.length - 5),
  );
  assert.deepEqual(await store.getRange("data.bin", data.length + 5, 50), new Uint8Array(0));
  assert.equal(await store.size("data.bin"), data.length);
  assert.equal(await store.get("nope"), undefined);
  assert.equal(await store.getRange("nope", 0, 10), undefined);
  assert.equal(await store.size("nope"), undefined);
  assert.deepEqual(await store.list(""), []);
  const ranged = server.requests.filter((r) => r.range);
  assert.ok(ranged.every((r) => r.status === 206 || r.status === 404 || r.status === 416));
});

test("HttpStore is read-only and refuses keys that leave its prefix", async (t) => {
  const { server } = await setup(t);
  const store = new HttpStore(server.url, noWait);
  assert.equal(store.writable, false);
  await assert.rejects(
    store.set("x", new Uint8Array(1)),
    (e) => e instanceof InputError && /read-only/.test(e.message),
  );
  await assert.rejects(
    store.delete("x"),
    (e) => e instanceof InputError && /read-only/.test(e.message),
  );
  await assert.rejects(store.get("../etc/passwd"), InputError);
  assert.throws(() => new HttpStore("ftp://example.org/x"), InputError);
});

test("HttpSource reads the same bytes as FileSource at random ranges, by range requests", async (t) => {
  const { dir, data, server } = await setup(t);
  const local = new FileSource(path.join(dir, "data.bin"));
  const remote = new HttpSource(`${server.url}/data.bin`, {
    ...noWait,
    blockSize: 4096,
    cacheBlocks: 8,
  });
  t.after(() => local.close());
  assert.equal(await remote.size(), await local.size());
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 0, max: data.length - 1 })
        .chain((offset) =>
          fc.tuple(
            fc.constant(offset),
            fc.integer({ min: 0, max: Math.min(20_000, data.length - offset) }),
          ),
        ),
      async ([offset, length]) => {
        assert.deepEqual(await remote.read(offset, length), await local.read(offset, length));
      },
    ),
    { numRuns: 200 },
  );
  const gets = server.requests.filter((r) => r.method === "GET");
  assert.ok(
    gets.every((r) => r.range !== undefined && r.status === 206),
    "every GET was a range request",
  );
  assert.ok(
    gets.every((r) => r.bytes <= 20_000 + 2 * 4096),
    "no GET fetched more than a read and its blocks",
  );
});

test("HttpSource caches small reads in blocks: a header parse costs one request", async (t) => {
  const { data, server } = await setup(t);
  const remote = new HttpSource(`${server.url}/data.bin`, noWait);
  for (let i = 0; i < 50; i++)
    assert.deepEqual(await remote.read(i * 16, 16), data.subarray(i * 16, i * 16 + 16));
  assert.equal(server.requests.length, 1);
});

test("HttpSource and HttpStore work with a server that ignores Range", async (t) => {
  const { data, server } = await setup(t, { ignoreRange: true });
  const remote = new HttpSource(`${server.url}/data.bin`, noWait);
  assert.deepEqual(await remote.read(150_000, 40_000), data.subarray(150_000, 190_000));
  assert.deepEqual(await remote.read(7, 3), data.subarray(7, 10));
  const store = new HttpStore(server.url, noWait);
  assert.deepEqual(await store.getRange("data.bin", -10, 10), data.subarray(data.length - 10));
  assert.ok(server.requests.every((r) => r.status === 200));
});

test("transient 503s are retried; persistent ones name the URL and status", async (t) => {
  const { data, server } = await setup(t, { failFirst: 2 });
  const remote = new HttpSource(`${server.url}/data.bin`, noWait);
  assert.deepEqual(await remote.read(0, 10), data.subarray(0, 10));
  assert.deepEqual(
    server.requests.map((r) => r.status),
    [503, 503, 206],
  );
  const { server: failing } = await setup(t, { failFirst: 100 });
  const store = new HttpStore(failing.url, { retries: 2, retryDelayMs: 1 });
  await assert.rejects(store.get("data.bin"), (e) => {
    assert.ok(e instanceof DaeError);
    assert.match(e.message, new RegExp(`${failing.url}/data\\.bin failed: HTTP 503.*3 attempts`));
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});

test("size falls back to a range probe when HEAD is refused", async (t) => {
  const { data, server } = await setup(t, { refuseHead: true });
  assert.equal(await new HttpSource(`${server.url}/data.bin`, noWait).size(), data.length);
  assert.equal(await new HttpStore(server.url, noWait).size("nope"), undefined);
});

test("HttpSource errors: a read past the end, a missing file, a server that is gone", async (t) => {
  const { data, server } = await setup(t);
  const remote = new HttpSource(`${server.url}/data.bin`, noWait);
  await assert.rejects(
    remote.read(data.length - 10, 20),
    /data\.bin: file ends at byte 200000, expected 200010/,
  );
  await assert.rejects(
    new HttpSource(`${server.url}/missing.tif`, noWait).size(),
    /missing\.tif: not found \(HTTP 404\)/,
  );
  await server.close();
  await assert.rejects(
    new HttpSource(`${server.url}/data.bin`, { retries: 1, retryDelayMs: 1 }).read(0, 4),
    (e) =>
      e instanceof DaeError && e.message.includes(`${server.url}/data.bin failed: ECONNREFUSED`),
  );
});

test("Store.get with maxBytes: a value larger than its content can take is refused by its size, over HTTP and on disk", async (t) => {
  const { dir, data, server } = await setup(t);
  const http = new HttpStore(server.url + "/", noWait);
  const fs = new FsStore(dir);
  for (const store of [http, fs]) {
    assert.deepEqual(await store.get("data.bin", data.length), data);
    await assert.rejects(store.get("data.bin", data.length - 1), (e) => {
      assert.ok(e instanceof FormatError);
      assert.match(e.message, /data\.bin: 200000 bytes, more than the 199999 its content can take/);
      return true;
    });
    assert.equal(await store.get("missing.bin", 10), undefined);
  }
});
