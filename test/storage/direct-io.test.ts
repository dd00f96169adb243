import { test } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import fc from "fast-check";
import { FsStore } from "../../src/storage/fs-store.js";
import { readDirect, writeFileDirect } from "../../src/util/direct-io.js";
import { tempDir } from "../helpers.js";

const MB = 1 << 20;
const TMPFS_MAGIC = 0x01021994;

/** Deterministic bytes that differ from block to block (a misplaced piece shows). */
function bytesOf(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const onTmpfs = (dir: string) => statfsSync(dir).type === TMPFS_MAGIC;

test("the direct I/O part is built where npm ci ran (unless switched off)", () => {
  if (process.env.DAE_DIRECT_IO === "0") return;
  assert.doesNotThrow(
    () => createRequire(import.meta.url)("dae-direct-io"),
    "dae-direct-io did not build or load: large chunks go through the page cache",
  );
});

test("writeFileDirect writes a file's whole content, of any length, and readDirect reads any range of it back", async (t) => {
  const dir = tempDir(t);
  if (onTmpfs(dir) || process.env.DAE_DIRECT_IO === "0")
    return t.skip("no O_DIRECT here: tmpfs, or switched off");
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: MB, max: 3 * MB + 5000 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (length, seed, where) => {
        const file = path.join(dir, `f${n++}`);
        const data = bytesOf(length, seed);
        assert.equal(await writeFileDirect(file, data), true);
        assert.equal(
          statSync(file).size,
          length,
          "cut back to its length after the padded last block",
        );
        assert.deepEqual(new Uint8Array(readFileSync(file)), data);
        // a read from an unaligned offset, and one that runs past the end of the file
        const offset = Math.floor(where * (length - MB));
        const rfd = openSync(file, "r");
        try {
          const part = new Uint8Array(MB + 3);
          const got = await readDirect(rfd, part, offset);
          assert.equal(got, Math.min(part.length, length - offset));
          assert.deepEqual(part.subarray(0, got), data.subarray(offset, offset + got));
        } finally {
          closeSync(rfd);
        }
      },
    ),
    { numRuns: 12 },
  );
});

test("small data is left to ordinary writes, and on tmpfs the file is whole whichever way it went", async (t) => {
  const dir = tempDir(t);
  assert.equal(
    await writeFileDirect(path.join(dir, "small"), bytesOf(MB - 1, 1)),
    false,
    "below 1 MB: through the page cache",
  );
  assert.equal(existsSync(path.join(dir, "small")), false, "nothing written");
  writeFileSync(path.join(dir, "small"), "x");
  const fd = openSync(path.join(dir, "small"), "r");
  try {
    assert.equal(await readDirect(fd, new Uint8Array(10), 0), -1);
  } finally {
    closeSync(fd);
  }
  if (!existsSync("/dev/shm") || !onTmpfs("/dev/shm")) return;
  // tmpfs refuses O_DIRECT before Linux 6.6 (nothing written, false) and takes it since
  const shm = mkdtempSync("/dev/shm/dae-test-");
  t.after(() => rmSync(shm, { recursive: true, force: true }));
  const file = path.join(shm, "big");
  const written = await writeFileDirect(file, bytesOf(2 * MB, 2));
  assert.equal(statSync(file).size, written ? 2 * MB : 0);
  const store = new FsStore(shm, true, true);
  const data = bytesOf(2 * MB + 7, 3);
  await store.set("a/c/0", data);
  assert.deepEqual(await store.get("a/c/0"), data);
});

test("a direct write that fails says why (errno's name in code)", async (t) => {
  if (process.env.DAE_DIRECT_IO === "0") return;
  const dir = tempDir(t);
  const file = path.join(dir, "ro");
  writeFileSync(file, "");
  if (onTmpfs(dir)) return t.skip("tmpfs: refused before any write");
  const binding = createRequire(import.meta.url)("dae-direct-io") as {
    writeDirect(fd: number, data: Uint8Array): Promise<boolean>;
  };
  const fd = openSync(file, "r");
  try {
    await assert.rejects(
      binding.writeDirect(fd, bytesOf(2 * MB, 4)),
      (e: NodeJS.ErrnoException) => e.code === "EBADF",
    );
  } finally {
    closeSync(fd);
  }
});

test("an FsStore writes large chunks past the page cache and, with directReads, reads them back the same way", async (t) => {
  const dir = tempDir(t);
  const writer = new FsStore(dir, true);
  const reader = new FsStore(dir, false, true);
  const sizes = [0, 100, MB - 1, MB, MB + 1, 5 * MB + 4097];
  for (const [i, n] of sizes.entries()) await writer.set(`v/c/${i}`, bytesOf(n, i));
  for (const [i, n] of sizes.entries()) {
    assert.equal(await reader.size(`v/c/${i}`), n);
    assert.deepEqual(await reader.get(`v/c/${i}`), bytesOf(n, i), `${n} bytes`);
  }
  assert.equal(await reader.get("v/c/missing"), undefined);
  // setIfAbsent takes the same path
  assert.equal(await writer.setIfAbsent("v/x", bytesOf(2 * MB, 9)), true);
  assert.equal(await writer.setIfAbsent("v/x", bytesOf(2 * MB, 10)), false);
  assert.deepEqual(await reader.get("v/x"), bytesOf(2 * MB, 9));
});
