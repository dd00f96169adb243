import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PYTHON, tempDir } from "../helpers.js";
import {
  BOMB_BYTES,
  deepJson,
  fifo,
  firstChunk,
  gzipBomb,
  LIE_BYTES,
  link,
  lyingShardIndex,
  netcdf3AttributeBomb,
  lzwBomb,
  packbitsBomb,
  sparseFile,
  tiff,
  zarrStore,
  zlibBomb,
  zstdFrame,
} from "./hostile-files.js";

/**
 * The hostile-input generator: every kind of bad file we know of (compression bombs and lying
 * headers for each codec we decode, special files where files belong, huge and deeply nested
 * metadata, absurd shapes, looping structures) is made here, and the real CLI is run on each
 * in a child process. Each must fail as a user error: exit 1, one line on stderr that names
 * the file, in under 5 s of CPU and 200 MB peak RSS, measured by GNU time (`%M`, `%U`, `%S`);
 * a run still going after HANG_SECONDS of wall-clock time is a hang (a FIFO waits without CPU).
 */

/** CPU seconds (user + system): the machine is shared, so its wall clock says more about the others. */
const LIMIT_SECONDS = 5;
const LIMIT_RSS_KB = 200 * 1024;
const GNU_TIME = "/usr/bin/time";
/** A run still going after this is a hang: killed and reported. */
const HANG_SECONDS = 30;

interface Case {
  name: string;
  args: string[];
  /** What the one line must name (the file or store, and where it can, the chunk). */
  names: string[];
}

interface Outcome {
  code: number | null;
  stderr: string;
  seconds: number;
  wallSeconds: number;
  rssKb: number;
  hung: boolean;
}

/** Runs the CLI under GNU time in its own process group (a hang is killed whole). */
function runMeasured(args: string[], dir: string, id: number): Promise<Outcome> {
  const timing = path.join(dir, `time-${id}.txt`);
  const bin = path.resolve(process.cwd(), "bin", "dae.js");
  return new Promise((resolve) => {
    const child = spawn(
      GNU_TIME,
      ["-f", "%M %e %U %S", "-o", timing, process.execPath, bin, ...args],
      {
        detached: true,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      process.kill(-child.pid!, "SIGKILL");
    }, HANG_SECONDS * 1000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const [rss, wall, user, system] = hung
        ? [NaN, HANG_SECONDS, NaN, NaN]
        : readFileSync(timing, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
      resolve({ code, stderr, seconds: user + system, wallSeconds: wall, rssKb: rss, hung });
    });
  });
}

/** Runs every case, two at a time (the machine's cores), and collects what went wrong. */
async function runAll(
  cases: Case[],
  dir: string,
): Promise<{ failures: string[]; worst: Outcome; measured: string[] }> {
  const failures: string[] = [];
  const measured: string[] = [];
  const worst: Outcome = { code: 0, stderr: "", seconds: 0, wallSeconds: 0, rssKb: 0, hung: false };
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const id = next++;
      const c = cases[id];
      const r = await runMeasured(c.args, dir, id);
      const why: string[] = [];
      measured.push(
        `${c.name}: ${r.seconds.toFixed(2)} s CPU, ${r.wallSeconds} s wall, ${Math.round(r.rssKb / 1024)} MB`,
      );
      worst.seconds = Math.max(worst.seconds, r.seconds);
      worst.wallSeconds = Math.max(worst.wallSeconds, r.wallSeconds);
      worst.rssKb = Math.max(worst.rssKb, r.rssKb);
      if (r.hung) why.push(`hung (killed after ${HANG_SECONDS} s)`);
      if (r.code !== 1) why.push(`exit ${r.code}`);
      if (!/^dae: [^\n]*\n$/.test(r.stderr))
        why.push(`not one line: ${JSON.stringify(r.stderr.slice(0, 300))}`);
      if (/internal error|\n\s+at /.test(r.stderr)) why.push("an internal error or a stack trace");
      for (const n of c.names) if (!r.stderr.includes(n)) why.push(`does not name ${n}`);
      if (!(r.seconds < LIMIT_SECONDS)) why.push(`took ${r.seconds} s of CPU`);
      if (!(r.rssKb < LIMIT_RSS_KB)) why.push(`peak RSS ${Math.round(r.rssKb / 1024)} MB`);
      if (why.length)
        failures.push(`${c.name}: ${why.join("; ")} — ${r.stderr.trim().slice(0, 200)}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return { failures, worst, measured };
}

const mean = (input: string, expr = "a.mean()") => [
  "run",
  "-i",
  input,
  "-e",
  expr,
  "--print",
  "--workers",
  "1",
  "--memory",
  "64MB",
];

/** Zarr stores whose chunk [0, 0] (or an inner chunk of it) is a bomb or lies. */
async function chunkCases(dir: string): Promise<Case[]> {
  const cases: Case[] = [];
  const withChunk = async (
    name: string,
    compressor: "zstd" | "blosc" | "gzip" | "zlib" | "lz4",
    zarrFormat: 2 | 3,
    bytes: (stored: Uint8Array) => Uint8Array | Promise<Uint8Array>,
    shards?: number[],
  ) => {
    const root = await zarrStore(path.join(dir, `${name}.zarr`), {
      compressor,
      zarrFormat,
      shards,
    });
    const chunk = firstChunk(root, zarrFormat);
    writeFileSync(chunk, await bytes(readFileSync(chunk)));
    const key = path.relative(path.join(root, "a"), chunk);
    cases.push({ name, args: mean(root), names: [root, key] });
  };
  const zlibBytes = await zlibBomb(BOMB_BYTES);
  await withChunk("zstd-lying-size", "zstd", 2, () => zstdFrame(1 << 17, LIE_BYTES));
  await withChunk("zstd-bomb-sized", "zstd", 2, () => zstdFrame(BOMB_BYTES, BOMB_BYTES));
  await withChunk("zstd-bomb-unsized", "zstd", 3, () => zstdFrame(BOMB_BYTES));
  await withChunk("gzip-bomb", "gzip", 2, () => gzipBomb(BOMB_BYTES));
  await withChunk("zlib-bomb", "zlib", 3, () => zlibBytes);
  await withChunk("blosc-lying-size", "blosc", 2, (stored) => {
    const out = Buffer.from(stored);
    out.writeUInt32LE(LIE_BYTES, 4);
    return out;
  });
  await withChunk("lz4-lying-size", "lz4", 2, (stored) => {
    const out = Buffer.from(stored);
    out.writeUInt32LE(LIE_BYTES, 0);
    return out;
  });
  const sparse = await zarrStore(path.join(dir, "sparse-chunk.zarr"), {
    compressor: "zstd",
    zarrFormat: 2,
  });
  sparseFile(firstChunk(sparse, 2), 3e9, "");
  cases.push({ name: "sparse 3 GB chunk file", args: mean(sparse), names: [sparse, "0.0"] });
  // one shard of 2 x 2 inner chunks per key
  await withChunk("shard-index-lie", "zstd", 3, (s) => lyingShardIndex(s, 4, LIE_BYTES), [64, 64]);
  await withChunk(
    "shard-inner-bomb",
    "zstd",
    3,
    () => {
      const bomb = zstdFrame(BOMB_BYTES);
      const index = Buffer.alloc(4 * 16, 0xff);
      index.writeBigUInt64LE(0n, 0);
      index.writeBigUInt64LE(BigInt(bomb.length), 8);
      return lyingShardIndex(Buffer.concat([bomb, index, Buffer.alloc(4)]), 4, bomb.length);
    },
    [64, 64],
  );
  return cases;
}

/** TIFFs of one 16 x 16 8-bit tile (256 bytes) whose tile is a bomb, and ones with absurd IFDs. */
async function tiffCases(dir: string): Promise<Case[]> {
  const cases: Case[] = [];
  const add = (name: string, bytes: Uint8Array, args: (f: string) => string[]) => {
    const file = path.join(dir, `${name}.tif`);
    writeFileSync(file, bytes);
    cases.push({ name, args: args(file), names: [file] });
  };
  const bandMean = (f: string) => mean(f, "band_data.mean()");
  add(
    "tiff-deflate-bomb",
    tiff({ size: 16, compression: 8, tile: await zlibBomb(BOMB_BYTES) }),
    bandMean,
  );
  add("tiff-lzw-bomb", tiff({ size: 16, compression: 5, tile: lzwBomb(BOMB_BYTES) }), bandMean);
  add(
    "tiff-packbits-bomb",
    tiff({ size: 16, compression: 32773, tile: packbitsBomb(BOMB_BYTES) }),
    bandMean,
  );
  add(
    "tiff-zstd-bomb",
    tiff({ size: 16, compression: 50000, tile: zstdFrame(BOMB_BYTES) }),
    bandMean,
  );
  add(
    "tiff-zstd-lying-size",
    tiff({ size: 16, compression: 50000, tile: zstdFrame(1 << 17, LIE_BYTES) }),
    bandMean,
  );
  // SOI; a baseline frame of 65535 x 65535, one component; a scan header; EOI
  const jpegLie = [
    ...[0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xff, 0xff, 0xff, 0xff, 1, 1, 0x11, 0],
    ...[0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0xff, 0xd9],
  ];
  add(
    "tiff-jpeg-frame-lie",
    tiff({
      size: 16,
      compression: 7,
      tile: Uint8Array.from(jpegLie),
    }),
    bandMean,
  );
  add(
    "tiff-65535-samples",
    tiff({ size: 16, compression: 1, tile: new Uint8Array(256), samples: 65535 }),
    (f) => ["info", f],
  );
  add(
    "tiff-ifd-cycle",
    tiff({ size: 16, compression: 1, tile: new Uint8Array(256), cycle: true }),
    (f) => ["info", f],
  );
  return cases;
}

/** HDF5 files (h5py) whose chunk [0, 0] is a deflate bomb: little-endian (read directly) and big-endian (through HDF5). */
function hdf5Cases(dir: string): Case[] {
  const files = ["<f4", ">f4"].map((dtype, i) => [
    dtype,
    path.join(dir, `hdf5-deflate-bomb-${i}.h5`),
  ]);
  execFileSync(PYTHON, [
    "-c",
    `
import sys, zlib, h5py, numpy as np
bomb = zlib.compress(bytes(${BOMB_BYTES}), 1)
for dtype, file in ${JSON.stringify(files)}:
    with h5py.File(file, "w") as f:
        a = f.create_dataset("a", shape=(64, 64), dtype=dtype, chunks=(32, 32), compression="gzip")
        a[...] = 1
        a.id.write_direct_chunk((0, 0), bomb)
`,
  ]);
  return files.map(([dtype, file]) => ({
    name: `hdf5-deflate-bomb ${dtype}`,
    args: mean(file),
    names: [file],
  }));
}

/** Special files where a file or store is expected, and links to them. */
async function specialFileCases(dir: string): Promise<Case[]> {
  const special = path.join(dir, "special");
  mkdirSync(special);
  const outside = fifo(path.join(special, "outside.fifo"));
  const cases: Case[] = [
    { name: "fifo as input", args: ["info", fifo(path.join(special, "in.nc"))], names: ["in.nc"] },
    { name: "character device as input", args: ["info", "/dev/zero"], names: ["/dev/zero"] },
  ];
  for (const zarrFormat of [2, 3] as const) {
    const meta = zarrFormat === 2 ? ".zarray" : "zarr.json";
    const asMeta = await zarrStore(path.join(special, `meta-v${zarrFormat}.zarr`), {
      compressor: "zstd",
      zarrFormat,
    });
    rmSync(path.join(asMeta, "a", meta));
    fifo(path.join(asMeta, "a", meta));
    cases.push({ name: `fifo as ${meta}`, args: mean(asMeta), names: [asMeta, meta] });
    const asChunk = await zarrStore(path.join(special, `chunk-v${zarrFormat}.zarr`), {
      compressor: "zstd",
      zarrFormat,
    });
    const chunk = firstChunk(asChunk, zarrFormat);
    rmSync(chunk);
    fifo(chunk);
    cases.push({ name: `fifo as chunk (v${zarrFormat})`, args: mean(asChunk), names: [asChunk] });
    const linked = await zarrStore(path.join(special, `link-v${zarrFormat}.zarr`), {
      compressor: "zstd",
      zarrFormat,
    });
    const linkedChunk = firstChunk(linked, zarrFormat);
    rmSync(linkedChunk);
    link(outside, linkedChunk);
    cases.push({
      name: `chunk linked to a fifo outside the store (v${zarrFormat})`,
      args: mean(linked),
      names: [linked],
    });
  }
  return cases;
}

/** Metadata too large, too deep, or describing arrays no engine can index. */
async function metadataCases(dir: string): Promise<Case[]> {
  const cases: Case[] = [];
  const meta = path.join(dir, "meta");
  mkdirSync(meta);
  const store = async (name: string, zarrFormat: 2 | 3) =>
    zarrStore(path.join(meta, `${name}.zarr`), { compressor: "zstd", zarrFormat });
  const huge = await store("huge-zarray", 2);
  sparseFile(path.join(huge, "a", ".zarray"), 200 << 20);
  cases.push({ name: "200 MB .zarray", args: ["info", huge], names: [huge, ".zarray"] });
  const hugeV3 = await store("huge-zarr-json", 3);
  sparseFile(path.join(hugeV3, "a", "zarr.json"), 200 << 20);
  cases.push({ name: "200 MB zarr.json", args: ["info", hugeV3], names: [hugeV3, "zarr.json"] });
  const consolidated = await store("huge-zmetadata", 2);
  sparseFile(path.join(consolidated, ".zmetadata"), 200 << 20);
  cases.push({
    name: "200 MB .zmetadata",
    args: ["info", consolidated],
    names: [consolidated, ".zmetadata"],
  });
  const nc = netcdf3AttributeBomb(path.join(meta, "attribute-bomb.nc"), 2e8, 2 ** 31);
  cases.push({ name: "NetCDF-3 header of 1.6 GB (sparse file)", args: ["info", nc], names: [nc] });
  const deepAttrs = await store("deep-zattrs", 2);
  writeFileSync(path.join(deepAttrs, "a", ".zattrs"), `{"x": ${deepJson(1_000_000)}}`);
  cases.push({
    name: "deeply nested .zattrs",
    args: ["info", deepAttrs],
    names: [deepAttrs, ".zattrs"],
  });
  const deepV3 = await store("deep-zarr-json", 3);
  const doc = JSON.parse(readFileSync(path.join(deepV3, "a", "zarr.json"), "utf8"));
  writeFileSync(
    path.join(deepV3, "a", "zarr.json"),
    JSON.stringify({ ...doc, attributes: { x: "@" } }).replace('"@"', deepJson(1_000_000)),
  );
  cases.push({
    name: "deeply nested zarr.json",
    args: ["info", deepV3],
    names: [deepV3, "zarr.json"],
  });
  for (const zarrFormat of [2, 3] as const) {
    const absurd = await store(`shape-2-52-v${zarrFormat}`, zarrFormat);
    const file = path.join(absurd, "a", zarrFormat === 2 ? ".zarray" : "zarr.json");
    const m = JSON.parse(readFileSync(file, "utf8"));
    if (zarrFormat === 2) Object.assign(m, { shape: [2 ** 52], chunks: [1] });
    else {
      Object.assign(m, { shape: [2 ** 52], dimension_names: ["y"] });
      m.chunk_grid.configuration.chunk_shape = [1];
    }
    writeFileSync(file, JSON.stringify(m));
    if (zarrFormat === 2)
      writeFileSync(
        path.join(absurd, "a", ".zattrs"),
        JSON.stringify({ _ARRAY_DIMENSIONS: ["y"] }),
      );
    cases.push({
      name: `shape 2^52, chunks of 1 (v${zarrFormat})`,
      args: mean(absurd),
      names: [absurd],
    });
  }
  return cases;
}

test("hostile inputs: bombs, lying headers, special files, huge and deep metadata, absurd shapes — each refused in one line naming the file, under 5 s and 200 MB", async (t) => {
  assert.ok(
    existsSync(GNU_TIME),
    `${GNU_TIME} (Debian package "time") measures each run's peak RSS; install it`,
  );
  const dir = tempDir(t, "dae-hostile-");
  const started = Date.now();
  const cases = [
    ...(await chunkCases(dir)),
    ...(await tiffCases(dir)),
    ...hdf5Cases(dir),
    ...(await specialFileCases(dir)),
    ...(await metadataCases(dir)),
  ];
  const made = Date.now();
  const { failures, worst, measured } = await runAll(cases, dir);
  for (const m of measured) t.diagnostic(m);
  t.diagnostic(
    `made in ${((made - started) / 1000).toFixed(1)} s, run in ${((Date.now() - made) / 1000).toFixed(1)} s`,
  );
  t.diagnostic(
    `${cases.length} hostile inputs run; worst: ${worst.seconds.toFixed(2)} s of CPU, ${worst.wallSeconds} s of wall clock, ${Math.round(worst.rssKb / 1024)} MB peak RSS`,
  );
  assert.deepEqual(
    failures,
    [],
    `${failures.length} of ${cases.length} hostile inputs were not refused cleanly`,
  );
});
