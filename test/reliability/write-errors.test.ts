import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, promises as fsp, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { ChunkGrid } from "../../src/array/chunk-grid.js";
import { writeDatasetZarr } from "../../src/dataset/write-zarr.js";
import { dae, fixture, tempDir } from "../helpers.js";
import { assertCliError, assertNotComplete, assertUserError, filesUnder } from "./expect.js";

/**
 * Makes `fs.promises.writeFile` of store temporaries (`*.partial`) fail like a full disk
 * after `okWrites` of them succeed: a few bytes land, then ENOSPC — what FsStore meets when
 * the disk fills mid-chunk. Undone when the test ends.
 */
function failWritesAfter(t: TestContext, okWrites: number): () => void {
  const original = fsp.writeFile;
  let n = 0;
  fsp.writeFile = (async (
    file: Parameters<typeof original>[0],
    data: Parameters<typeof original>[1],
    options?: Parameters<typeof original>[2],
  ) => {
    if (String(file).endsWith(".partial") && ++n > okWrites) {
      await original(file, "half a chunk");
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), {
        code: "ENOSPC",
        errno: -28,
        syscall: "write",
      });
    }
    return original(file, data, options);
  }) as typeof original;
  const restore = () => {
    fsp.writeFile = original;
  };
  t.after(restore);
  return restore;
}

/** The same failure in a child process (the CLI): an ESM preload, as source text. */
const ENOSPC_PRELOAD = `
import { promises as fsp } from "node:fs";
const original = fsp.writeFile;
let n = 0;
fsp.writeFile = async (file, data, options) => {
  if (String(file).endsWith(".partial") && ++n > Number(process.env.DAE_TEST_OK_WRITES)) {
    await original(file, "half a chunk");
    throw Object.assign(new Error("ENOSPC: no space left on device, write '" + file + "'"), { code: "ENOSPC", errno: -28, syscall: "write" });
  }
  return original(file, data, options);
};
`;

test("a disk that fills mid-toZarr: one line naming the chunk file, .partial files removed, output not complete", async (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, "out.zarr");
  const a = fromArray(
    new Float32Array(64 * 64).map((_, i) => i),
    { shape: [64, 64], dims: ["y", "x"], chunks: [8, 64], name: "a" },
  );
  failWritesAfter(t, 5);
  await assert.rejects(
    toZarr(a.rechunk({ y: 8 }), out, { executor: "inline", compressor: "none" }),
    (e) => assertUserError(e, [out, "no space left on device"]),
  );
  assertNotComplete(out);
});

test("a disk that fills mid-writeDatasetZarr: the same, and an output with no chunks written yet too", async (t) => {
  const dir = tempDir(t);
  const grid = ChunkGrid.regular([40, 30], [10, 30]);
  const array = {
    source: "memory:v",
    shape: [40, 30],
    dtype: "float64" as const,
    dims: ["y", "x"],
    chunks: grid,
    fillValue: null,
    attrs: {},
    readChunk: async () => new Float64Array(300).fill(1),
  };
  for (const okWrites of [0, 3]) {
    const out = path.join(dir, `out-${okWrites}.zarr`);
    const restore = failWritesAfter(t, okWrites);
    await assert.rejects(
      writeDatasetZarr({ variables: new Map([["v", { array }]]) }, out, {
        zarrFormat: 2,
        concurrency: 2,
      }),
      (e) => assertUserError(e, [out, "no space left on device"]),
    );
    restore();
    assertNotComplete(out);
  }
});

test("dae convert on a disk that fills: exit 1, one line, no .partial files, not complete", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const dir = tempDir(t);
  const preload = path.join(dir, "enospc.mjs");
  writeFileSync(preload, ENOSPC_PRELOAD);
  const out = path.join(dir, "out.zarr");
  const r = dae(["convert", src, out, "--quiet"], {
    env: { NODE_OPTIONS: `--import ${preload}`, DAE_TEST_OK_WRITES: "6" },
  });
  assertCliError(r, [out, "no space left on device"]);
  assertNotComplete(out);
});

/** Runs the CLI as an unprivileged user when we are root (root ignores permissions), else as we are. */
function daeUnprivileged(args: string[]) {
  if (process.getuid?.() !== 0) return dae(args);
  const r = spawnSync(
    "setpriv",
    [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      path.resolve("bin", "dae.js"),
      ...args,
    ],
    { encoding: "utf8" },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a read-only output folder: exit 1 naming the path, not an internal error", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  if (process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status !== 0)
    return t.skip("running as root without setpriv: permissions cannot be tested");
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  const readOnly = path.join(dir, "ro");
  mkdirSync(readOnly);
  chmodSync(readOnly, 0o555);
  const out = path.join(readOnly, "out.zarr");
  assertCliError(daeUnprivileged(["convert", src, out, "--quiet"]), [out, "permission denied"]);
  // an existing, empty but read-only output folder
  chmodSync(readOnly, 0o755);
  mkdirSync(out);
  chmodSync(out, 0o555);
  assertCliError(daeUnprivileged(["convert", src, out, "--quiet"]), [out, "permission denied"]);
  assert.deepEqual(filesUnder(out), []);
});

test("a real full file system (a 256 KiB tmpfs, where we may mount one): dae convert fails cleanly", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const mnt = mkdtempSync(path.join(os.tmpdir(), "dae-full-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]).status === 0;
  t.after(() => {
    if (mounted) spawnSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  if (!mounted) return t.skip("cannot mount a tmpfs here (not root?)");
  const out = path.join(mnt, "out.zarr");
  assertCliError(dae(["convert", src, out, "--quiet", "--compressor", "none"]), [
    out,
    "no space left on device",
  ]);
  assertNotComplete(out);
});
