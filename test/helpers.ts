import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { ChunkGrid } from "../src/array/chunk-grid.js";
import type { ChunkedArray, WritableChunkedArray } from "../src/array/chunked-array.js";
import { fromTypedArray } from "../src/array/memory-array.js";

/** The shared fixtures folder (`../shared/fixtures` beside the repository), or undefined. */
export const fixturesDir: string | undefined = (() => {
  const p = path.resolve(process.cwd(), "..", "shared", "fixtures");
  return existsSync(p) ? p : undefined;
})();

/** Path of a fixture; skips the test with a clear message when the fixtures are absent. */
export function fixture(t: TestContext, name: string): string | undefined {
  if (!fixturesDir) {
    t.skip("../shared/fixtures is absent: this test reads files written by other tools");
    return undefined;
  }
  return path.join(fixturesDir, name);
}

/** Debian's python3 with xarray/zarr/netCDF4 (installed by .ci/run), used as an oracle. */
export const PYTHON = "/usr/bin/python3";

/** Whether the python oracle is installed; tests that need it fail without it (CI installs it). */
export function hasPythonOracle(): boolean {
  return spawnSync(PYTHON, ["-c", "import xarray, zarr"]).status === 0;
}

/** Runs a python script (with `import json, numpy as np, xarray as xr` done) and parses the JSON it prints. */
export function python<T = unknown>(script: string): T {
  const prelude = "import json, sys, numpy as np, xarray as xr\n";
  const out = execFileSync(PYTHON, ["-c", prelude + script], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out) as T;
}

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: TestContext, prefix = "dae-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the built `dae` CLI and returns its exit code, stdout and stderr. */
export function dae(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const bin = path.resolve(process.cwd(), "bin", "dae.js");
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 1 << 28,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts |a - b| <= rtol * max(|a|, |b|) + atol, element by element (NaN equals NaN). */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number | null>,
  rtol = 1e-5,
  atol = 0,
  what = "values",
): void {
  if (got.length !== want.length)
    throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i] === null ? NaN : (want[i] as number);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)) + atol))
      throw new Error(`${what}[${i}]: got ${a}, expected ${b}`);
  }
}

export { rmSync };

/** A writable in-memory float64 target that counts writes per chunk. */
export function countingTarget(shape: number[], dims: string[], chunks: number[]) {
  const inner = fromTypedArray(new Float64Array(shape.reduce((a, b) => a * b, 1)), {
    shape,
    dims,
    chunks,
  });
  const writes = new Map<string, number>();
  const target: WritableChunkedArray = {
    ...inner,
    readChunk: inner.readChunk,
    async writeChunk(coords, data) {
      writes.set(String(coords), (writes.get(String(coords)) ?? 0) + 1);
      await inner.writeChunk(coords, data);
    },
  };
  return { target, writes, inner };
}

/** A chunked array of any size with no data behind it, for tests of the planner, which never reads. */
export function phantom(
  shape: number[],
  chunks: number[],
  dims: string[],
  dtype: "float32" | "float64" | "int16" = "float32",
): ChunkedArray {
  return {
    source: "phantom",
    shape,
    dtype,
    dims,
    chunks: ChunkGrid.regular(shape, chunks),
    fillValue: null,
    attrs: {},
    readChunk: async () => {
      throw new Error("the planner must not read");
    },
  };
}
