import { Canvas } from "./canvas.js";
import {
  axisTicks,
  axisTitle,
  drawBottomAxis,
  drawLeftAxis,
  drawTitle,
  plotArea,
  type Axis,
  type PlotArea,
} from "./axes.js";
import { numberTicks } from "./ticks.js";

/** A 1-D series to draw: `y` over the `x` axis (its values, or indices). */
export interface LineChart {
  y: ArrayLike<number>;
  x: Axis;
  title: string;
  subtitle?: string;
  /** The y axis title (the variable and its units). */
  yLabel?: string;
}

/** Size and colour of a line chart. */
export interface LineStyle {
  /** Default 900. */
  width?: number;
  /** Default 420. */
  height?: number;
  /** Default matplotlib's first colour, #1f77b4. */
  color?: string;
}

const MARGIN = { left: 84, right: 28, top: 52, bottom: 56 };

/** The plot area of a line chart of this style (where the data are drawn). */
export function lineLayout(style: LineStyle = {}): {
  width: number;
  height: number;
  area: PlotArea;
} {
  const width = Math.round(style.width ?? 900);
  const height = Math.round(style.height ?? 420);
  return { width, height, area: plotArea(width, height, MARGIN) };
}

/**
 * Draws a series as a line with axes, grid lines and a title; a time axis gets date ticks.
 * Series longer than the plot is wide are drawn through each pixel column's minimum and
 * maximum, so peaks survive. NaN values leave gaps.
 *
 * @example
 * ```ts
 * const canvas = drawLineChart({ y: series, x: { name: "time", values: seconds, calendar: "standard" }, title: "global mean" });
 * ```
 */
export function drawLineChart(chart: LineChart, style: LineStyle = {}): Canvas {
  const { width, height, area } = lineLayout(style);
  const canvas = new Canvas(width, height);
  const n = chart.y.length;
  const xs = Float64Array.from({ length: n }, (_, i) => (chart.x.values ? chart.x.values[i] : i));
  let [xlo, xhi] = finiteRange(xs);
  if (xlo === xhi) [xlo, xhi] = [xlo - 1, xhi + 1];
  let [ylo, yhi] = finiteRange(chart.y);
  const pad = (yhi - ylo) * 0.05 || Math.abs(yhi) * 0.05 || 1;
  [ylo, yhi] = [ylo - pad, yhi + pad];
  const toX = (v: number) => area.left + ((v - xlo) / (xhi - xlo)) * (area.width - 1);
  const toY = (v: number) => area.top + ((yhi - v) / (yhi - ylo)) * (area.height - 1);
  const xTicks = axisTicks(chart.x, xlo, xhi, Math.max(2, Math.floor(area.width / 110)));
  const yTicks = numberTicks(ylo, yhi, Math.max(2, Math.floor(area.height / 50)));
  for (const t of xTicks)
    canvas.fillRect(Math.round(toX(t.value)), area.top, 1, area.height, "#e8e8e8");
  for (const t of yTicks)
    canvas.fillRect(area.left, Math.round(toY(t.value)), area.width, 1, "#e8e8e8");
  const [px, py] = decimate(xs, chart.y, toX, toY, area.width);
  canvas.polyline(px, py, style.color ?? "#1f77b4");
  canvas.strokeRect(area.left - 1, area.top - 1, area.width + 2, area.height + 2, "#333333");
  drawBottomAxis(canvas, area, xTicks, toX, axisTitle(chart.x));
  drawLeftAxis(canvas, area, yTicks, toY, chart.yLabel ?? "");
  drawTitle(canvas, chart.title, chart.subtitle, area.left);
  return canvas;
}

function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? [0, 1] : [lo, hi];
}

/**
 * Pixel coordinates of the line. Up to two points per pixel column pass as they are;
 * longer runs in one column become their first, minimum, maximum and last points (M4).
 */
function decimate(
  xs: Float64Array,
  ys: ArrayLike<number>,
  toX: (v: number) => number,
  toY: (v: number) => number,
  width: number,
): [number[], number[]] {
  const px: number[] = [];
  const py: number[] = [];
  if (xs.length <= 2 * width) {
    for (let i = 0; i < xs.length; i++) {
      px.push(toX(xs[i]));
      py.push(ys[i] === ys[i] ? toY(ys[i]) : NaN);
    }
    return [px, py];
  }
  let i = 0;
  while (i < xs.length) {
    const column = Math.round(toX(xs[i]));
    let j = i;
    let lo = i;
    let hi = i;
    let gap = false;
    while (j < xs.length && Math.round(toX(xs[j])) === column) {
      if (ys[j] !== ys[j]) gap = true;
      else {
        if (!(ys[j] >= ys[lo])) lo = j;
        if (!(ys[j] <= ys[hi])) hi = j;
      }
      j++;
    }
    for (const k of [...new Set([i, lo, hi, j - 1])].sort((a, b) => a - b)) {
      px.push(column);
      py.push(ys[k] === ys[k] ? toY(ys[k]) : NaN);
    }
    if (gap) {
      px.push(NaN);
      py.push(NaN);
    }
    i = j;
  }
  return [px, py];
}
