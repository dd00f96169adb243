import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PNG } from "pngjs";
import { encodeTime, timeComponents } from "../../src/dataset/calendar.js";
import { colorIndex, colormap } from "../../src/render/colormap.js";
import { Canvas } from "../../src/render/canvas.js";
import { drawField, fieldLayout } from "../../src/render/field-chart.js";
import { drawLineChart, lineLayout } from "../../src/render/line-chart.js";
import { numberTicks, timeTicks } from "../../src/render/ticks.js";
import { hasPythonOracle, python } from "../helpers.js";

test("colour maps equal matplotlib's (viridis, magma, RdBu_r interpolated from ColorBrewer)", (t) => {
  if (!hasPythonOracle()) return t.skip("needs /usr/bin/python3 with matplotlib");
  const want = python<Record<string, number[][]>>(`
import matplotlib
print(json.dumps({n: [[round(c * 255) for c in matplotlib.colormaps[n](i)[:3]] for i in range(256)] for n in ["viridis", "magma", "RdBu_r", "cividis"]}))
`);
  for (const [name, rows] of Object.entries(want)) {
    const { lut } = colormap(name);
    rows.forEach((rgb, i) =>
      rgb.forEach((c, k) =>
        assert.ok(
          Math.abs(lut[3 * i + k] - c) <= 1,
          `${name}[${i}][${k}]: ${lut[3 * i + k]} vs ${c}`,
        ),
      ),
    );
  }
});

test("colour maps: the published end colours; RdBu_r is diverging, unknown names are refused", () => {
  const hex = (lut: Uint8Array, i: number) =>
    [...lut.subarray(3 * i, 3 * i + 3)].map((c) => c.toString(16).padStart(2, "0")).join("");
  assert.equal(hex(colormap("viridis").lut, 0), "440154");
  assert.equal(hex(colormap("viridis").lut, 255), "fde725");
  assert.equal(hex(colormap("viridis_r").lut, 0), "fde725");
  assert.equal(hex(colormap("magma").lut, 0), "000004");
  assert.equal(hex(colormap("magma").lut, 255), "fcfdbf");
  assert.equal(colormap("RdBu_r").diverging, true);
  assert.throws(() => colormap("jet"), /unknown colour map "jet" \(known: viridis, viridis_r/);
  assert.equal(colorIndex(-5, 0, 1), 0);
  assert.equal(colorIndex(1, 0, 1), 255);
  assert.equal(colorIndex(0.5, 0, 1), 128);
});

test("numberTicks: round, evenly spaced values inside the range, at most about maxCount", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
      fc.integer({ min: 2, max: 10 }),
      fc.boolean(),
      (lo, span, maxCount, degrees) => {
        const hi = lo + span;
        const ticks = numberTicks(lo, hi, maxCount, undefined, degrees);
        assert.ok(
          ticks.length >= 1 && ticks.length <= 2 * maxCount + 1,
          `${ticks.length} ticks for ${maxCount}`,
        );
        const eps = span * 1e-6;
        for (const tk of ticks)
          assert.ok(
            tk.value >= lo - eps && tk.value <= hi + eps,
            `${tk.value} outside [${lo}, ${hi}]`,
          );
        const steps = ticks.slice(1).map((tk, i) => tk.value - ticks[i].value);
        for (const s of steps) assert.ok(Math.abs(s - steps[0]) <= Math.abs(steps[0]) * 1e-6);
        assert.equal(
          new Set(ticks.map((tk) => tk.label)).size,
          ticks.length,
          ticks.map((tk) => tk.label).join(" "),
        );
      },
    ),
  );
  assert.deepEqual(
    numberTicks(-90, 90, 6, undefined, true).map((tk) => tk.value),
    [-90, -60, -30, 0, 30, 60, 90],
  );
  // a range shorter than the first round step above span/maxCount (once gave no tick at all)
  assert.deepEqual(
    numberTicks(-0.04000000005, -5e-11, 2).map((tk) => tk.label),
    ["-0.04", "-0.02"],
  );
});

test("timeTicks: increasing dates inside the range, months and years on their first day", () => {
  const start = encodeTime({ year: 1999, month: 11, day: 17 }, "standard");
  fc.assert(
    fc.property(
      fc.double({ min: 0.2, max: 20000, noNaN: true }),
      fc.constantFrom("standard", "noleap", "360_day" as const),
      (days, calendar) => {
        const lo = start;
        const hi = start + days * 86400;
        const ticks = timeTicks(lo, hi, calendar, 6);
        assert.ok(
          ticks.length >= 1 && ticks.length <= 8,
          `${ticks.length} ticks over ${days} days`,
        );
        for (let i = 0; i < ticks.length; i++) {
          assert.ok(ticks[i].value >= lo && ticks[i].value <= hi);
          if (i > 0) assert.ok(ticks[i].value > ticks[i - 1].value);
          if (days > 200) assert.equal(timeComponents(ticks[i].value, calendar).day, 1);
        }
        assert.equal(new Set(ticks.map((tk) => tk.label)).size, ticks.length);
      },
    ),
  );
  const years = timeTicks(
    encodeTime({ year: 2000, month: 1, day: 1 }, "standard"),
    encodeTime({ year: 2003, month: 1, day: 1 }, "standard"),
    "standard",
    6,
  );
  assert.deepEqual(
    years.map((tk) => tk.label),
    ["2000", "2001", "2002", "2003"],
  );
});

/** The RGB of pixel (x, y) of a decoded PNG. */
function pixel(png: PNG, x: number, y: number): number[] {
  const o = (y * png.width + x) * 4;
  return [png.data[o], png.data[o + 1], png.data[o + 2]];
}

test("drawField paints each cell in its colour, larger latitudes up, NaN grey", () => {
  // 3 latitudes ascending (south first in memory) × 4 longitudes
  const lat = Float64Array.from([-30, 0, 30]);
  const lon = Float64Array.from([0, 90, 180, 270]);
  const values = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NaN]);
  const chart = {
    values,
    rows: 3,
    cols: 4,
    x: { name: "lon", values: lon, units: "degrees_east" },
    y: { name: "lat", values: lat, units: "degrees_north" },
    title: "test",
  };
  const png = PNG.sync.read(drawField(chart, { width: 500 }).toPng());
  const { width, height, area } = fieldLayout(chart, { width: 500 });
  assert.deepEqual([png.width, png.height], [width, height]);
  const { lut } = colormap("viridis");
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 4; j++) {
      const x = Math.floor(area.left + ((j + 0.5) / 4) * area.width);
      // row i = lat[i]; the northernmost row (i = 2) is drawn on top
      const y = Math.floor(area.top + ((2 - i + 0.5) / 3) * area.height);
      const v = values[i * 4 + j];
      const want = Number.isNaN(v)
        ? [0xd9, 0xd9, 0xd9]
        : [...lut.subarray(3 * colorIndex(v, 0, 10), 3 * colorIndex(v, 0, 10) + 3)];
      assert.deepEqual(pixel(png, x, y), want, `cell (${i}, ${j}) = ${v}`);
    }
});

test("drawField: values straddling zero get RdBu_r centred on zero; --vmin/--vmax clamp", () => {
  const chart = {
    values: Float64Array.from([-1, 3]),
    rows: 1,
    cols: 2,
    x: { name: "x" },
    y: { name: "y" },
    title: "d",
  };
  const png = PNG.sync.read(drawField(chart, { width: 300, height: 200 }).toPng());
  const { area } = fieldLayout(chart, { width: 300, height: 200 });
  const { lut } = colormap("RdBu_r");
  const y = area.top + Math.floor(area.height / 2);
  const left = pixel(png, area.left + Math.floor(area.width / 4), y);
  const right = pixel(png, area.left + Math.floor((3 * area.width) / 4), y);
  assert.deepEqual(left, [
    ...lut.subarray(3 * colorIndex(-1, -3, 3), 3 * colorIndex(-1, -3, 3) + 3),
  ]);
  assert.deepEqual(right, [...lut.subarray(765, 768)]);
  const clamped = PNG.sync.read(
    drawField(chart, { width: 300, height: 200, cmap: "magma", vmin: 0, vmax: 1 }).toPng(),
  );
  const magma = colormap("magma").lut;
  assert.deepEqual(pixel(clamped, area.left + Math.floor(area.width / 4), y), [
    ...magma.subarray(0, 3),
  ]);
  assert.deepEqual(pixel(clamped, area.left + Math.floor((3 * area.width) / 4), y), [
    ...magma.subarray(765, 768),
  ]);
});

test("drawLineChart draws the series across the plot, its maximum highest", () => {
  const n = 5000; // more points than pixels: decimated per column, peaks kept
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin((i / n) * 2 * Math.PI));
  y[100] = 3; // a one-sample spike must survive decimation
  y[2000] = NaN;
  const png = PNG.sync.read(drawLineChart({ y, x: { name: "i" }, title: "sine" }).toPng());
  const { width, height, area } = lineLayout();
  assert.deepEqual([png.width, png.height], [width, height]);
  const blue = (p: number[]) => p[2] > 150 && p[0] < 120;
  const columns = new Set<number>();
  let top = { x: -1, y: Infinity };
  for (let yy = area.top; yy < area.top + area.height; yy++)
    for (let xx = area.left; xx < area.left + area.width; xx++)
      if (blue(pixel(png, xx, yy))) {
        columns.add(xx);
        if (yy < top.y) top = { x: xx, y: yy };
      }
  assert.ok(
    columns.size > area.width * 0.95,
    `line covers ${columns.size} of ${area.width} columns`,
  );
  const spikeX = area.left + (100 / (n - 1)) * (area.width - 1);
  assert.ok(Math.abs(top.x - spikeX) <= 2, `highest point at x=${top.x}, spike at ${spikeX}`);
});

test("small text: a full stop stays on the baseline (it was drawn as a comma at 11 px), and vertical text is drawn", (t) => {
  const probe = new Canvas(80, 80);
  if (!probe.hasText) return t.skip("no font file: pictures are drawn without text");
  // ink below the baseline of "1.5" and "1,5": the digits have none, so it is the mark's
  const below = (s: string, y: number) => {
    const c = new Canvas(60, 40);
    c.text(s, 10.3, y, { size: 11 });
    let ink = 0;
    for (let row = Math.ceil(y); row < 40; row++)
      for (let col = 0; col < 60; col++) ink += 255 - c.data[(row * 60 + col) * 4];
    return ink;
  };
  for (const y of [20, 20.4, 20.7]) {
    const digits = below("15", y); // their curves overshoot the baseline a little
    const stop = below("1.5", y) - digits;
    const comma = below("1,5", y) - digits;
    assert.ok(comma > 100, `a comma reaches below the baseline (${comma})`);
    assert.ok(stop < comma / 3, `at y=${y}: ink below the baseline: "1.5" ${stop}, "1,5" ${comma}`);
  }
  // rotated text runs upward from its anchor: ink in a column band, above the anchor
  probe.text("latitude", 40, 70, { size: 11, vertical: true, baseline: "bottom" });
  let above = 0;
  let elsewhere = 0;
  for (let row = 0; row < 80; row++)
    for (let col = 0; col < 80; col++) {
      const ink = 255 - probe.data[(row * 80 + col) * 4];
      if (row < 70 && col >= 28 && col < 41) above += ink;
      else elsewhere += ink;
    }
  assert.ok(above > 2000 && elsewhere < above / 20, `above ${above}, elsewhere ${elsewhere}`);
});
