/**
 * Compute a field and a profile and draw them as PNG pictures with the render layer.
 *
 *   npx tsx examples/03-plot.ts [eraint_uvz.nc] [out-dir]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { load } from "../src/api/compute.js";
import { openDataset } from "../src/api/open-dataset.js";
import { drawField } from "../src/render/field-chart.js";
import { drawLineChart } from "../src/render/line-chart.js";

const file = process.argv[2] ?? "../shared/fixtures/eraint_uvz.nc";
const out = process.argv[3] ?? mkdtempSync(path.join(os.tmpdir(), "dae-example-"));
const { vars, dataset } = await openDataset(file);

// wind speed at 200 hPa in July: sqrt(u² + v²), computed block by block
const speed = await load(vars.u.pow(2).add(vars.v.pow(2)).sqrt().sel({ level: 200, month: 7 }));
const lat = speed.coords.latitude;
const lon = speed.coords.longitude;
const map = drawField(
  {
    values: speed.data as Float32Array,
    rows: lat.values.length,
    cols: lon.values.length,
    x: { name: "longitude", values: lon.values, units: "degrees_east" },
    y: { name: "latitude", values: lat.values, units: "degrees_north" },
    title: "wind speed at 200 hPa",
    subtitle: "July",
    units: "m s⁻¹",
  },
  { cmap: "magma" },
);
writeFileSync(path.join(out, "speed200.png"), map.toPng());

// its zonal mean as a line chart
const zonal = await load(
  vars.u.pow(2).add(vars.v.pow(2)).sqrt().sel({ level: 200, month: 7 }).mean("longitude"),
);
const chart = drawLineChart({
  y: zonal.data as Float32Array,
  x: { name: "latitude", values: lat.values, units: "degrees_north" },
  title: "zonal mean wind speed at 200 hPa, July",
  yLabel: "m s⁻¹",
});
writeFileSync(path.join(out, "speed200_zonal.png"), chart.toPng());
console.log(
  `wrote ${path.join(out, "speed200.png")} (${map.width}×${map.height}) and ${path.join(out, "speed200_zonal.png")} (${chart.width}×${chart.height})`,
);
console.log(`maximum speed: ${Math.max(...(speed.data as Float32Array)).toFixed(2)} m/s`);
await dataset.close();
