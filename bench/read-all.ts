/**
 * W7, our I/O floor: reads and decodes every chunk of `a.zarr/tas` once through the library's
 * own reader (`openZarr` + `readChunk`: FsStore read, zstd wasm decode, codec pipeline), on one
 * worker thread per core, with no compute and no planner, executor or task messaging. The gap
 * between this and W1 is what the engine adds on top of decoding; the gap between this and W8
 * is what our decoder costs against C.
 *
 * `node dist/bench/read-all.js DATA_DIR [WORKERS]`; prints `{"chunks": n, "decodedBytes": b}`.
 */
import os from "node:os";
import path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { openZarr } from "../src/formats/zarr/index.js";
import { FsStore } from "../src/storage/fs-store.js";
import { tuneMalloc } from "../src/util/malloc-tuning.js";

interface Job {
  store: string;
  worker: number;
  workers: number;
}

/** Chunk coordinates of a grid with `counts` chunks per dim, in C order. */
function* chunkCoords(counts: number[]): Generator<number[]> {
  const total = counts.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    const c = new Array<number>(counts.length);
    let r = k;
    for (let d = counts.length - 1; d >= 0; d--) {
      c[d] = r % counts[d];
      r = Math.floor(r / counts[d]);
    }
    yield c;
  }
}

/** Reads this worker's share of chunks (every `workers`-th), one at a time, as a task would. */
async function readShare({
  store,
  worker,
  workers,
}: Job): Promise<{ chunks: number; decodedBytes: number }> {
  tuneMalloc();
  const ds = await openZarr(new FsStore(store));
  const tas = ds.variables.get("tas");
  if (!tas) throw new Error(`${store}: no variable tas`);
  let chunks = 0;
  let decodedBytes = 0;
  let k = 0;
  for (const c of chunkCoords(tas.chunks.counts)) {
    if (k++ % workers !== worker) continue;
    decodedBytes += (await tas.readChunk(c)).byteLength;
    chunks++;
  }
  return { chunks, decodedBytes };
}

if (isMainThread) {
  const [data, workersArg] = process.argv.slice(2);
  const workers = Number(workersArg ?? os.availableParallelism());
  const store = path.resolve(data, "a.zarr");
  const file = new URL(import.meta.url);
  // from TypeScript sources worker threads do not inherit tsx's loader: register it first
  const start = (job: Job) =>
    file.pathname.endsWith(".ts")
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });`,
          { eval: true, workerData: job },
        )
      : new Worker(file, { workerData: job });
  const shares = await Promise.all(
    Array.from({ length: workers }, (_, worker) => {
      const job: Job = { store, worker, workers };
      return new Promise<{ chunks: number; decodedBytes: number }>((resolve, reject) => {
        const w = start(job);
        w.once("message", resolve);
        w.once("error", reject);
      });
    }),
  );
  const total = shares.reduce((a, s) => ({
    chunks: a.chunks + s.chunks,
    decodedBytes: a.decodedBytes + s.decodedBytes,
  }));
  console.log(JSON.stringify(total));
} else {
  parentPort!.postMessage(await readShare(workerData as Job));
}
