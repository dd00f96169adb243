/**
 * One benchmark workload on our engine, in its own process (the runner times the whole
 * process): `node dist/bench/engine.js W1 DATA_DIR OUT_PATH [MEMORY]` (DATA_DIR as written
 * by the runner, e.g. `.bench-data/S`; MEMORY default 1GB).
 * Prints one JSON line: `{"check": rms}` (root mean square, NaN skipped) for in-memory results, `{"wrote": path}` for Zarr
 * outputs.
 */
import path from "node:path";
import { load, toZarr } from "../src/api/compute.js";
import type { LazyArray } from "../src/api/lazy-array.js";
import { openDataset } from "../src/api/open-dataset.js";
import { readParams } from "./data.js";

async function main(): Promise<void> {
  const [workload, data, out, memory = "1GB"] = process.argv.slice(2);
  const params = readParams(data);
  const options = { memory };
  const open = async (file: string) => (await openDataset(path.join(data, file))).vars.tas;
  const write = async (a: LazyArray) => {
    await toZarr(a.rename("tas"), out, { ...options, zarrFormat: 2, overwrite: true });
    console.log(JSON.stringify({ wrote: out }));
  };
  const check = async (a: LazyArray) => {
    const r = await load(a, options);
    let squares = 0;
    let n = 0;
    for (let i = 0; i < r.data.length; i++) {
      const x = Number(r.data[i]);
      if (Number.isNaN(x)) continue;
      squares += x * x;
      n++;
    }
    console.log(JSON.stringify({ check: Math.sqrt(squares / n) }));
  };
  const dims = ["time", "lat", "lon"];
  const chunksOf = (sizes: number[]) => Object.fromEntries(dims.map((d, i) => [d, sizes[i]]));

  switch (workload) {
    case "W1":
      return check((await open("a.zarr")).mean("time"));
    case "W2": {
      const t = await open("a.zarr");
      return write(t.groupby("time.month").sub(t.groupby("time.month").mean()));
    }
    case "W3":
      return write((await open("a.zarr")).rolling({ time: 7 }).mean());
    case "W4": {
      const [a, b] = [await open("a.zarr"), await open("b.zarr")];
      return write(a.add(b).rechunk(chunksOf(params.w4_chunks)));
    }
    case "W9": {
      // the mask's latitude runs north to south: it is read as a reversed view, by label
      const mask = (await openDataset(path.join(data, "mask.zarr"))).vars.land;
      return write((await open("a.zarr")).mul(mask));
    }
    case "W5":
      return write((await open("a.zarr")).rechunk(chunksOf(params.rechunk)));
    case "W6":
      return check((await open("a.nc")).mean("time"));
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

await main();
