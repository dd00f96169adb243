/**
 * A daily series in memory → monthly climatology, anomaly, 7-day rolling mean → Zarr, read back.
 *
 *   npx tsx examples/02-anomaly-to-zarr.ts [out-dir]
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { load, toZarr } from "../src/api/compute.js";
import { LazyArray } from "../src/api/lazy-array.js";
import { fromArray, openDataset } from "../src/api/open-dataset.js";
import { encodeTime } from "../src/dataset/calendar.js";

const out = process.argv[2] ?? mkdtempSync(path.join(os.tmpdir(), "dae-example-"));

// two years of daily values at 3 stations: a seasonal cycle plus a deterministic wobble
const days = 730;
const stations = 3;
const values = new Float32Array(days * stations);
for (let t = 0; t < days; t++)
  for (let s = 0; s < stations; s++)
    values[t * stations + s] =
      10 + s - 8 * Math.cos((2 * Math.PI * t) / 365) + 2 * Math.sin(t * 1.7 + s);
const start = encodeTime({ year: 2001, month: 1, day: 1 }, "standard");
const seconds = Float64Array.from({ length: days }, (_, t) => start + t * 86400);
const temperature = fromArray(values, {
  shape: [days, stations],
  dims: ["time", "station"],
  chunks: [100, 3],
  name: "temperature",
});
// the same array with a time coordinate: seconds since 1970 counted in its calendar
const tas = new LazyArray(
  temperature.built,
  {
    time: {
      dim: "time",
      values: seconds,
      attrs: {},
      time: { calendar: "standard", units: "days since 2001-01-01" },
    },
  },
  { units: "degC" },
  "tas",
);

const byMonth = tas.groupby("time.month");
const climatology = byMonth.mean().rename("climatology");
const anomaly = byMonth.sub(climatology).rename("anomaly");
const weekly = anomaly.rolling({ time: 7 }).mean().rename("anomaly_7d");

const store = path.join(out, "anomaly.zarr");
const run = await toZarr([climatology, weekly], store, { zarrFormat: 2 });
console.log(`wrote ${store}: ${run.progress.tasksDone} tasks, ${run.progress.bytesWritten} bytes`);

// read it back like any other dataset
const { vars, dataset } = await openDataset(store);
const clim = await load(vars.climatology);
const smooth = await load(vars.anomaly_7d);
console.log(
  `climatology (month × station): ${clim.shape.join(" × ")}; January at station 0: ${clim.data[0].toFixed(3)}`,
);
console.log(
  `7-day anomaly at day 6, station 0: ${smooth.data[6 * stations].toFixed(3)} (days 0-5 are NaN: ${Number.isNaN(smooth.data[0])})`,
);
await dataset.close();
