/**
 * Open a NetCDF file lazily, select, reduce, and compute — nothing is read until `compute`.
 *
 *   npx tsx examples/01-open-and-reduce.ts [eraint_uvz.nc]
 */
import { compute } from "../src/api/compute.js";
import { openDataset } from "../src/api/open-dataset.js";

const file = process.argv[2] ?? "../shared/fixtures/eraint_uvz.nc";
const { vars, dataset } = await openDataset(file);
console.log(`${file}: ${Object.keys(vars).join(", ")}`);

// the 500 hPa geopotential of January, its zonal mean (one value per latitude) and its global mean
const z500 = vars.z.sel({ level: 500, month: 1 });
const zonal = z500.mean("longitude").rename("z500_zonal");
const overall = vars.z.mean().rename("z_mean");
// both in one pass over the file, in bounded memory, on worker threads
const [zonalMean, mean] = await compute([zonal, overall]);

const lat = zonalMean.coords.latitude.values;
for (const i of [0, 60, 120, 180, 240])
  console.log(`zonal mean z500 at ${lat[i]}°: ${zonalMean.data[i].toFixed(1)} m² s⁻²`);
console.log(`mean of z over everything: ${Number(mean.data[0]).toFixed(2)}`);
await dataset.close();
