import type { Calendar } from "../dataset/calendar.js";
import type { Canvas } from "./canvas.js";
import { degreeLabel, numberTicks, timeTicks, type Tick } from "./ticks.js";

/** What a chart knows of one axis: its name, and its coordinate values when there are some. */
export interface Axis {
  /** Dimension name (`lat`, `time`...). */
  name: string;
  /** Coordinate values per index; absent: indices are shown. */
  values?: ArrayLike<number>;
  units?: string;
  /** Set for time axes: values are seconds since 1970-01-01 in this calendar. */
  calendar?: Calendar;
}

/** The rectangle data is drawn in, in pixels. */
export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The plot area of a `width` × `height` picture inside `margin` (at least a pixel each way). */
export function plotArea(
  width: number,
  height: number,
  margin: { left: number; right: number; top: number; bottom: number },
): PlotArea {
  return {
    left: margin.left,
    top: margin.top,
    width: Math.max(1, width - margin.left - margin.right),
    height: Math.max(1, height - margin.top - margin.bottom),
  };
}

const LAT = /^(lat|latitude|y_lat|nav_lat)$/i;
const LON = /^(lon|long|longitude|x_lon|nav_lon)$/i;

/** `lat` or `lon` when an axis is one, by name or CF units. */
export function geoKind(axis: Axis): "lat" | "lon" | undefined {
  const units = axis.units ?? "";
  if (LAT.test(axis.name) || /^degrees?_?n(orth)?$/i.test(units)) return "lat";
  if (LON.test(axis.name) || /^degrees?_?e(ast)?$/i.test(units)) return "lon";
  return undefined;
}

/** Ticks for the range [lo, hi] of an axis: dates, degrees or plain numbers. */
export function axisTicks(axis: Axis, lo: number, hi: number, maxCount: number): Tick[] {
  if (axis.calendar) return timeTicks(lo, hi, axis.calendar, maxCount);
  const geo = axis.values ? geoKind(axis) : undefined;
  return numberTicks(lo, hi, maxCount, geo ? degreeLabel(geo) : undefined, geo !== undefined);
}

/** The axis title: the name, with units unless they are obvious from the tick labels. */
export function axisTitle(axis: Axis): string {
  if (axis.calendar || !axis.values) return axis.name;
  if (geoKind(axis) || !axis.units) return axis.name;
  return `${axis.name} (${axis.units})`;
}

/** Ticks and labels below the plot area; `toX` maps a value to a pixel column. */
export function drawBottomAxis(
  canvas: Canvas,
  area: PlotArea,
  ticks: Tick[],
  toX: (v: number) => number,
  title: string,
): void {
  const y = area.top + area.height;
  let lastRight = -Infinity;
  for (const t of ticks) {
    const x = Math.round(toX(t.value));
    if (x < area.left - 0.5 || x > area.left + area.width + 0.5) continue;
    canvas.fillRect(x, y, 1, 5, "#333333");
    const w = canvas.textWidth(t.label, 11);
    // skip a label that would overlap the previous one
    if (x - w / 2 < lastRight + 6) continue;
    canvas.text(t.label, x, y + 8, { size: 11, align: "center", baseline: "top" });
    lastRight = x + w / 2;
  }
  canvas.text(title, area.left + area.width / 2, y + 26, {
    size: 12,
    align: "center",
    baseline: "top",
  });
}

/** Ticks and labels left of the plot area; `toY` maps a value to a pixel row. */
export function drawLeftAxis(
  canvas: Canvas,
  area: PlotArea,
  ticks: Tick[],
  toY: (v: number) => number,
  title: string,
): void {
  let widest = 0;
  for (const t of ticks) {
    const y = Math.round(toY(t.value));
    if (y < area.top - 0.5 || y > area.top + area.height + 0.5) continue;
    canvas.fillRect(area.left - 5, y, 5, 1, "#333333");
    canvas.text(t.label, area.left - 8, y, { size: 11, align: "right", baseline: "middle" });
    widest = Math.max(widest, canvas.textWidth(t.label, 11));
  }
  canvas.text(title, area.left - widest - 16, area.top + area.height / 2, {
    size: 12,
    align: "center",
    baseline: "bottom",
    vertical: true,
  });
}

/** A title line and, below it, a smaller subtitle. */
export function drawTitle(
  canvas: Canvas,
  title: string,
  subtitle: string | undefined,
  left: number,
): void {
  canvas.text(fit(canvas, title, 15, canvas.width - left - 10), left, 8, {
    size: 15,
    baseline: "top",
  });
  if (subtitle)
    canvas.text(fit(canvas, subtitle, 12, canvas.width - left - 10), left, 29, {
      size: 12,
      baseline: "top",
      color: "#555555",
    });
}

/** `s`, shortened with an ellipsis to fit `width` pixels. */
function fit(canvas: Canvas, s: string, size: number, width: number): string {
  if (canvas.textWidth(s, size) <= width) return s;
  let n = s.length;
  while (n > 1 && canvas.textWidth(`${s.slice(0, n)}…`, size) > width) n--;
  return `${s.slice(0, n)}…`;
}

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};

/** Units as people write them: `m**2 s**-2`, `m2 s-2` and `m^2 s^-2` become `m² s⁻²`. */
export function prettyUnits(units: string): string {
  return units.replace(
    /(?<![\d.])([A-Za-z)])(?:\*\*|\^)?(-?\d+)(?![\d.])/g,
    (_, base: string, power: string) => base + [...power].map((c) => SUPERSCRIPT[c]).join(""),
  );
}
