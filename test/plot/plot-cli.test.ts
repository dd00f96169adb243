import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import { colorIndex, colormap } from "../../src/render/colormap.js";
import { fieldLayout } from "../../src/render/field-chart.js";
import { lineLayout } from "../../src/render/line-chart.js";
import { dae, fixture, python, tempDir } from "../helpers.js";

function pixel(png: PNG, x: number, y: number): number[] {
  const o = (Math.floor(y) * png.width + Math.floor(x)) * 4;
  return [png.data[o], png.data[o + 1], png.data[o + 2]];
}

/** The LUT entry nearest to a colour. */
function lutIndex(lut: Uint8Array, rgb: number[]): number {
  let best = 0;
  let dist = Infinity;
  for (let i = 0; i < 256; i++) {
    const d =
      (lut[3 * i] - rgb[0]) ** 2 + (lut[3 * i + 1] - rgb[1]) ** 2 + (lut[3 * i + 2] - rgb[2]) ** 2;
    if (d < dist) [best, dist] = [i, d];
  }
  return best;
}

function colours(png: PNG): number {
  const seen = new Set<number>();
  for (let o = 0; o < png.data.length; o += 4)
    seen.add((png.data[o] << 16) | (png.data[o + 1] << 8) | png.data[o + 2]);
  return seen.size;
}

const latAxis = (lat: number[]) => ({ name: "latitude", values: lat, units: "degrees_north" });
const lonAxis = (lon: number[]) => ({ name: "longitude", values: lon, units: "degrees_east" });

test("dae plot eraint z at 500 hPa: a viridis map whose pixels show xarray's values, north up", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const out = path.join(tempDir(t), "z500.png");
  const r = dae(["plot", src, "--var", "z", "--sel", "level=500", "--isel", "month=0", "-o", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^wrote .*z500\.png \(900×\d+ px, map\): z at month=1, level=500, values [\d.]+ … [\d.]+ m\*\*2 s\*\*-2\n$/,
  );
  const ref = python<{ z: number[][]; lat: number[]; lon: number[] }>(`
z = xr.open_dataset(${JSON.stringify(src)}).z.sel(level=500).isel(month=0)
print(json.dumps({"z": z.values.astype(float).tolist(), "lat": z.latitude.values.tolist(), "lon": z.longitude.values.tolist()}))
`);
  const png = PNG.sync.read(readFileSync(out));
  const chart = { rows: 241, cols: 480, x: lonAxis(ref.lon), y: latAxis(ref.lat) };
  const { width, height, area } = fieldLayout(chart, {});
  assert.deepEqual([png.width, png.height], [width, height]);
  assert.ok(colours(png) > 150, `${colours(png)} colours`);
  const flat = ref.z.flat();
  const [vmin, vmax] = [Math.min(...flat), Math.max(...flat)];
  const { lut } = colormap("viridis");
  // cell centres: latitude runs 90 → -90 from the top, longitude -180 → 179.25 from the left
  for (const [i, j] of [
    [0, 0],
    [120, 240],
    [60, 100],
    [200, 400],
    [30, 333],
  ]) {
    const x = area.left + ((j + 0.5) / 480) * area.width;
    const y = area.top + ((i + 0.5) / 241) * area.height;
    const got = lutIndex(lut, pixel(png, x, y));
    const want = colorIndex(ref.z[i][j], vmin, vmax);
    assert.ok(
      Math.abs(got - want) <= 1,
      `cell (${i}, ${j}): colour ${got}, value ${ref.z[i][j]} → ${want}`,
    );
  }
});

test("dae plot --width 400 --cmap magma --vmin --vmax: a field wider than the picture is averaged down, colours clamp", (t) => {
  const src = fixture(t, "eraint_uvz.zarr");
  if (!src) return;
  const out = path.join(tempDir(t), "u.png");
  const r = dae([
    "plot",
    src,
    "--var",
    "u",
    "--isel",
    "level=0,month=1",
    "--width",
    "400",
    "--cmap",
    "magma",
    "--vmin",
    "-10",
    "--vmax",
    "30",
    "-o",
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const png = PNG.sync.read(readFileSync(out));
  const ref = python<{ lat: number[]; lon: number[]; u: number[][] }>(`
u = xr.open_zarr(${JSON.stringify(src)}).u.isel(level=0, month=1)
print(json.dumps({"lat": u.latitude.values.tolist(), "lon": u.longitude.values.tolist(), "u": u.values.astype(float).tolist()}))
`);
  const { width, height, area } = fieldLayout(
    { rows: 241, cols: 480, x: lonAxis(ref.lon), y: latAxis(ref.lat) },
    { width: 400 },
  );
  assert.deepEqual([png.width, png.height], [width, height]);
  assert.ok(area.width < 480 / 2, "the plot is narrower than half the field: it was reduced");
  const { lut } = colormap("magma");
  // the 3×3-averaged block under a pixel, as xarray's coarsen(boundary="pad") gives it
  const k = Math.ceil(480 / area.width);
  const kr = Math.ceil(241 / area.height);
  const blockMean = (bi: number, bj: number) => {
    let s = 0;
    let n = 0;
    for (let i = bi * kr; i < Math.min(241, bi * kr + kr); i++)
      for (let j = bj * k; j < Math.min(480, bj * k + k); j++) [s, n] = [s + ref.u[i][j], n + 1];
    return s / n;
  };
  const rows = Math.ceil(241 / kr);
  const cols = Math.ceil(480 / k);
  for (const [bi, bj] of [
    [5, 5],
    [rows >> 1, cols >> 1],
    [rows - 3, cols - 7],
    [rows >> 2, cols >> 3],
  ]) {
    // the centre of block (bi, bj) in the picture
    const x = area.left + ((bj + 0.5) / cols) * area.width;
    const y = area.top + ((bi + 0.5) / rows) * area.height;
    const v = blockMean(bi, bj);
    const got = lutIndex(lut, pixel(png, x, y));
    assert.ok(
      Math.abs(got - colorIndex(v, -10, 30)) <= 2,
      `block (${bi}, ${bj}) = ${v}: colour ${got}`,
    );
  }
});

test("dae plot of a 1-D time series: a line chart with a date axis; its peak is where the data peak", (t) => {
  const dir = tempDir(t);
  const src = path.join(dir, "series.zarr");
  python(`
t = np.arange(400)
v = np.sin(t / 400 * 2 * np.pi) * 10 + 280
v[123] = 300
ds = xr.Dataset({"tas": (("time", "site"), np.stack([v, v - 5], axis=1).astype("f4"), {"units": "K", "long_name": "air temperature"})},
                coords={"time": ("time", t, {"units": "days since 2001-01-01", "calendar": "noleap"}), "site": [1, 2]})
ds.to_zarr(${JSON.stringify(src)}, mode="w")
print(json.dumps(0))
`);
  const out = path.join(dir, "series.png");
  const r = dae(["plot", src, "--var", "tas", "--sel", "site=1", "-o", out, "--height", "300"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\(900×300 px, line chart\): tas at site=1, values 270 … 300 K\n$/);
  const png = PNG.sync.read(readFileSync(out));
  assert.deepEqual([png.width, png.height], [900, 300]);
  const { area } = lineLayout({ height: 300 });
  const blue = (p: number[]) => p[2] > 150 && p[0] < 120;
  let top = { x: -1, y: Infinity };
  let covered = 0;
  for (let x = area.left; x < area.left + area.width; x++) {
    let hit = false;
    for (let y = area.top; y < area.top + area.height; y++)
      if (blue(pixel(png, x, y))) {
        hit = true;
        if (y < top.y) top = { x, y };
      }
    if (hit) covered++;
  }
  assert.ok(covered > 0.95 * area.width, `the line covers ${covered} of ${area.width} columns`);
  const peakX = area.left + (123 / 399) * (area.width - 1);
  assert.ok(Math.abs(top.x - peakX) <= 2, `highest point at ${top.x}, the data peak at ${peakX}`);
  assert.ok(colours(png) > 20);
});

test("dae plot refuses what it cannot draw with one line", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const out = path.join(tempDir(t), "x.png");
  for (const [args, message] of [
    [
      ["--var", "z"],
      /^dae: plot: z has 4 dimensions \(month, level, latitude, longitude\) after selection; a map needs 2 and a line chart 1 \(select with --isel\/--sel, e\.g\. --isel month=0\)\n$/,
    ],
    [
      ["--var", "z", "--isel", "month=0", "--cmap", "jet"],
      /^dae: unknown colour map "jet" \(known: viridis, /,
    ],
    [
      ["--var", "z", "--isel", "month=5"],
      /^dae: isel: index 5 is out of range for dimension "month" of length 2\n$/,
    ],
    [
      ["--var", "z", "--isel", "time=0"],
      /^dae: z: no dimension "time" \(dimensions: month, level, latitude, longitude\)\n$/,
    ],
    [[], /^dae: .*eraint_uvz\.nc: name the variable to draw with --var \(variables: z, u, v\)\n$/],
    [
      ["--var", "z", "--isel", "month=0,level=1", "--vmin", "5", "--vmax", "1"],
      /^dae: --vmin 5 must be less than --vmax 1\n$/,
    ],
  ] as [string[], RegExp][]) {
    const r = dae(["plot", src, "-o", out, ...args]);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
