/**
 * A multiscale pyramid of a categorical map (ocean basins): each level the 2×2 mode of the one
 * before, OME-Zarr `multiscales` metadata at the root.
 *
 *   npx tsx examples/04-pyramid.ts [basin_mask.nc] [out-dir]
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDataset } from "../src/api/open-dataset.js";
import { writePyramid } from "../src/api/pyramid.js";

const file = process.argv[2] ?? "../shared/fixtures/basin_mask.nc";
const out = path.join(
  process.argv[3] ?? mkdtempSync(path.join(os.tmpdir(), "dae-example-")),
  "basins.zarr",
);
const { vars, dataset } = await openDataset(file);
// the surface layer only: a 2-D map of basin codes
const surface = vars.basin.isel({ Z: 0 });
const levels = await writePyramid([surface], out, { levels: 4, method: "mode", zarrFormat: 2 });
for (const l of levels) console.log(`level ${l.level}: ${l.size.join(" × ")} (group ${l.path})`);

const root = await openDataset(out);
const [multiscales] = root.dataset.attrs.multiscales as {
  version: string;
  datasets: { path: string }[];
}[];
console.log(
  `multiscales ${multiscales.version}: ${multiscales.datasets.map((d) => d.path).join(", ")}`,
);
await Promise.all([dataset.close(), root.dataset.close()]);
