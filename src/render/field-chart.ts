import { Canvas, parseColor } from "./canvas.js";
import {
  axisTicks,
  axisTitle,
  drawBottomAxis,
  drawLeftAxis,
  drawTitle,
  geoKind,
  plotArea,
  type Axis,
  type PlotArea,
} from "./axes.js";
import { colorIndex, colormap } from "./colormap.js";
import { numberTicks } from "./ticks.js";

/** A 2-D field to draw: `rows × cols` values in C order (row = y index, column = x index). */
export interface FieldChart {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  x: Axis;
  y: Axis;
  title: string;
  /** A second, smaller line (e.g. the selection). */
  subtitle?: string;
  /** Units of the values, shown on the colour bar. */
  units?: string;
}

/** Size and colours of a field picture. */
export interface FieldStyle {
  /** Picture width in pixels (default 900). */
  width?: number;
  /** Picture height in pixels (default: from the field's aspect ratio). */
  height?: number;
  /** Colour map (default viridis, or RdBu_r when the values straddle zero, as xarray). */
  cmap?: string;
  vmin?: number;
  vmax?: number;
}

const MARGIN = { left: 78, right: 118, top: 50, bottom: 52 };
const NAN_COLOR = "#d9d9d9";

/** The colour range and map a field is drawn with, resolved as xarray's `plot()` does. */
export function colorScale(
  values: ArrayLike<number>,
  style: FieldStyle,
): { vmin: number; vmax: number; cmap: string } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) [lo, hi] = [0, 1]; // nothing but NaN
  const straddles = lo < 0 && hi > 0 && style.vmin === undefined && style.vmax === undefined;
  const cmap = style.cmap ?? (straddles ? "RdBu_r" : "viridis");
  let vmin = style.vmin ?? lo;
  let vmax = style.vmax ?? hi;
  if (colormap(cmap).diverging && style.vmin === undefined && style.vmax === undefined) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    [vmin, vmax] = [-m, m];
  }
  return { vmin, vmax, cmap };
}

/** The range an axis covers: cell edges around evenly spaced coordinates, or around indices. */
function axisExtent(axis: Axis, n: number): [number, number] {
  const v = axis.values;
  if (!v || n === 0) return [-0.5, n - 0.5];
  const d = n > 1 ? (v[n - 1] - v[0]) / (n - 1) : 1;
  return [v[0] - d / 2, v[n - 1] + d / 2];
}

/** The picture size: the plot area keeps the field's aspect ratio (degrees square on lat/lon grids). */
function pictureSize(chart: FieldChart, style: FieldStyle): { width: number; height: number } {
  const [x0, x1] = axisExtent(chart.x, chart.cols);
  const [y0, y1] = axisExtent(chart.y, chart.rows);
  const geo = geoKind(chart.x) === "lon" && geoKind(chart.y) === "lat";
  const aspect = geo ? Math.abs(y1 - y0) / Math.abs(x1 - x0) : chart.rows / chart.cols;
  const extraW = MARGIN.left + MARGIN.right;
  const extraH = MARGIN.top + MARGIN.bottom;
  if (style.width !== undefined && style.height !== undefined)
    return { width: style.width, height: style.height };
  if (style.height !== undefined) {
    const plotH = style.height - extraH;
    return {
      width: Math.round(Math.min(Math.max(plotH / aspect, 120), 3 * plotH) + extraW),
      height: style.height,
    };
  }
  const width = style.width ?? 900;
  const plotW = width - extraW;
  return {
    width,
    height: Math.round(Math.min(Math.max(plotW * aspect, 120), 1.5 * plotW) + extraH),
  };
}

/**
 * Where a field picture puts things: its size and the plot area (callers reduce fields
 * larger than the area to about one value per pixel before drawing).
 */
export function fieldLayout(
  chart: Pick<FieldChart, "rows" | "cols" | "x" | "y">,
  style: FieldStyle,
): { width: number; height: number; area: PlotArea } {
  const { width, height } = pictureSize({ ...chart, values: [], title: "" }, style);
  return { width, height, area: plotArea(width, height, MARGIN) };
}

/**
 * Draws a 2-D field as a colour-mapped image with a colour bar, a title and axes (ticks in
 * degrees on lat/lon, dates on time axes). Larger coordinate values are up and right; a y
 * axis without coordinates has row 0 on top, as an image. Cells are painted nearest-neighbour,
 * assuming evenly spaced coordinates.
 *
 * @example
 * ```ts
 * const canvas = drawField({ values, rows: 241, cols: 480, x: { name: "lon", values: lon }, y: { name: "lat", values: lat }, title: "z" }, {});
 * writeFileSync("z.png", canvas.toPng());
 * ```
 */
export function drawField(chart: FieldChart, style: FieldStyle = {}): Canvas {
  const { width, height, area } = fieldLayout(chart, style);
  const canvas = new Canvas(width, height);
  const scale = colorScale(chart.values, style);
  const { lut } = colormap(scale.cmap);
  let [xlo, xhi] = axisExtent(chart.x, chart.cols);
  let [ylo, yhi] = axisExtent(chart.y, chart.rows);
  if (xlo > xhi) [xlo, xhi] = [xhi, xlo];
  if (ylo > yhi) [ylo, yhi] = [yhi, ylo];
  // without coordinates the y axis runs down, as in an image
  const yDown = !chart.y.values;
  const toX = (v: number) => area.left + ((v - xlo) / (xhi - xlo)) * area.width;
  const toY = (v: number) =>
    yDown
      ? area.top + ((v - ylo) / (yhi - ylo)) * area.height
      : area.top + ((yhi - v) / (yhi - ylo)) * area.height;
  const colOf = indexMap(chart.x, chart.cols, area.width, xlo, xhi, false);
  const rowOf = indexMap(chart.y, chart.rows, area.height, ylo, yhi, !yDown);
  const nan = parseColor(NAN_COLOR);
  for (let py = 0; py < area.height; py++) {
    const row = rowOf[py];
    for (let px = 0; px < area.width; px++) {
      const v = chart.values[row * chart.cols + colOf[px]];
      if (v === v) {
        const c = 3 * colorIndex(v, scale.vmin, scale.vmax);
        canvas.setPixel(area.left + px, area.top + py, lut[c], lut[c + 1], lut[c + 2]);
      } else canvas.setPixel(area.left + px, area.top + py, nan[0], nan[1], nan[2]);
    }
  }
  canvas.strokeRect(area.left - 1, area.top - 1, area.width + 2, area.height + 2, "#333333");
  drawBottomAxis(
    canvas,
    area,
    axisTicks(chart.x, xlo, xhi, Math.max(3, Math.floor(area.width / 80))),
    toX,
    axisTitle(chart.x),
  );
  drawLeftAxis(
    canvas,
    area,
    axisTicks(chart.y, ylo, yhi, Math.max(3, Math.floor(area.height / 45))),
    toY,
    axisTitle(chart.y),
  );
  drawColorBar(canvas, area, lut, scale.vmin, scale.vmax, chart.units);
  drawTitle(canvas, chart.title, chart.subtitle, area.left);
  return canvas;
}

/**
 * For each pixel along an axis, the data index under its centre. `up`: pixel 0 shows the
 * largest coordinate (a y axis drawn upward).
 */
function indexMap(
  axis: Axis,
  n: number,
  pixels: number,
  lo: number,
  hi: number,
  up: boolean,
): Int32Array {
  const map = new Int32Array(pixels);
  const v = axis.values;
  const first = v ? v[0] : 0;
  const step = v && n > 1 ? (v[n - 1] - v[0]) / (n - 1) : 1;
  for (let p = 0; p < pixels; p++) {
    const f = (p + 0.5) / pixels;
    const value = up ? hi - f * (hi - lo) : lo + f * (hi - lo);
    map[p] = Math.min(n - 1, Math.max(0, Math.round((value - first) / step)));
  }
  return map;
}

/** A vertical colour bar right of the plot area, with ticks and the units. */
function drawColorBar(
  canvas: Canvas,
  area: PlotArea,
  lut: Uint8Array,
  vmin: number,
  vmax: number,
  units: string | undefined,
): void {
  const x = area.left + area.width + 16;
  const w = 16;
  for (let py = 0; py < area.height; py++) {
    const v = vmax - ((py + 0.5) / area.height) * (vmax - vmin);
    const c = 3 * colorIndex(v, vmin, vmax);
    for (let px = 0; px < w; px++)
      canvas.setPixel(x + px, area.top + py, lut[c], lut[c + 1], lut[c + 2]);
  }
  canvas.strokeRect(x - 1, area.top - 1, w + 2, area.height + 2, "#333333");
  let widest = 0;
  for (const t of numberTicks(vmin, vmax, Math.max(2, Math.floor(area.height / 45)))) {
    const y = Math.round(area.top + ((vmax - t.value) / (vmax - vmin || 1)) * area.height);
    if (y < area.top - 0.5 || y > area.top + area.height + 0.5) continue;
    canvas.fillRect(x + w, y, 4, 1, "#333333");
    canvas.text(t.label, x + w + 7, y, { size: 11, baseline: "middle" });
    widest = Math.max(widest, canvas.textWidth(t.label, 11));
  }
  if (units)
    canvas.text(units, x + w + 12 + widest, area.top + area.height / 2, {
      size: 12,
      align: "center",
      baseline: "top",
      vertical: true,
    });
}
