import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import type { AttrValue } from "../../array/chunked-array.js";
import { load, type ComputeOptions } from "../../api/compute.js";
import type { Coord } from "../../api/coords.js";
import type { LazyArray } from "../../api/lazy-array.js";
import { openDataset } from "../../api/open-dataset.js";
import { resolveIndex, resolveLabel, slice, type Slice } from "../../api/selection.js";
import { formatTime } from "../../dataset/calendar.js";
import { refuseOverlap } from "../../dataset/output-overlap.js";
import { inputLocations } from "../../exec/sources.js";
import { prettyUnits, type Axis } from "../../render/axes.js";
import { COLORMAP_NAMES, colormap } from "../../render/colormap.js";
import { drawField, fieldLayout, type FieldStyle } from "../../render/field-chart.js";
import { drawLineChart } from "../../render/line-chart.js";
import { InputError } from "../../util/errors.js";
import type { RegisterCommand } from "./index.js";

interface PlotOptions {
  var?: string;
  isel?: string;
  sel?: string;
  output: string;
  cmap?: string;
  vmin?: string;
  vmax?: string;
  width?: string;
  height?: string;
  memory?: string;
  quiet?: boolean;
}

/** How to draw an array: picture size and colours, and how to compute it. */
export interface PlotStyle extends FieldStyle {
  /** A second title line (e.g. the selection). */
  subtitle?: string;
  compute?: ComputeOptions;
}

/** What `plotArray` drew. */
export interface PlotSummary {
  kind: "map" | "line";
  width: number;
  height: number;
  /** Range of the values drawn (NaN skipped). */
  min: number;
  max: number;
}

/** `dae plot PATH --var V -o out.png`: a 2-D field as a colour-mapped image, a 1-D series as a line chart. */
export const registerPlot: RegisterCommand = (program: Command) => {
  program
    .command("plot")
    .description(
      "draw a 2-D field as a colour-mapped PNG image with a colour bar, or a 1-D series as a line chart",
    )
    .argument("<path>", "Zarr store, NetCDF, HDF5 or GeoTIFF file, local or http(s)://")
    .option("--var <name>", "variable to draw (default: the only data variable)")
    .option("--isel <dim=i,...>", "select by position: dim=i (drops dim) or dim=start:stop[:step]")
    .option(
      "--sel <dim=v,...>",
      "select by coordinate label, nearest: dim=500, time=2000-01-31, or dim=lo..hi",
    )
    .requiredOption("-o, --output <file.png>", "PNG file to write")
    .option(
      "--cmap <name>",
      `colour map: ${COLORMAP_NAMES.join(", ")} (default viridis; RdBu_r when values straddle 0)`,
    )
    .option("--vmin <x>", "value at the low end of the colour map")
    .option("--vmax <x>", "value at the high end of the colour map")
    .option("--width <px>", "picture width in pixels (default 900)")
    .option(
      "--height <px>",
      "picture height in pixels (default: from the field's aspect ratio; 420 for lines)",
    )
    .option("--memory <size>", "memory budget, e.g. 512MB (default: half the free memory)")
    .option("--quiet", "print nothing on success")
    .action(async (path: string, options: PlotOptions) => {
      const style = parseStyle(options);
      const { vars, dataset } = await openDataset(path);
      try {
        const name = options.var ?? onlyDataVariable(vars, dataset.coords, path);
        const variable = vars[name];
        if (!variable)
          throw new InputError(
            `${path}: no variable "${name}" (variables: ${Object.keys(vars).join(", ")})`,
          );
        const { array, described } = applySelection(variable, options.isel, options.sel);
        const summary = await plotArray(array, options.output, {
          ...style,
          subtitle: described.join(", ") || undefined,
          compute: { memory: options.memory },
        });
        if (!options.quiet)
          process.stderr.write(
            `wrote ${options.output} (${summary.width}×${summary.height} px, ${summary.kind === "map" ? "map" : "line chart"}): ${name}${described.length ? ` at ${described.join(", ")}` : ""}, values ${fmt(summary.min)} … ${fmt(summary.max)}${unitsOf(array) ? ` ${unitsOf(array)}` : ""}\n`,
          );
      } finally {
        await dataset.close();
      }
    });
};

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(5))) : String(x);
}

function parseStyle(options: PlotOptions): FieldStyle {
  const number = (flag: string, text: string | undefined, integer = false): number | undefined => {
    if (text === undefined) return undefined;
    const x = Number(text);
    if (
      text.trim() === "" ||
      !Number.isFinite(x) ||
      (integer && !(Number.isInteger(x) && x >= 64 && x <= 10000))
    )
      throw new InputError(
        `${flag}: expected ${integer ? "a whole number of pixels from 64 to 10000" : "a number"}, got "${text}"`,
      );
    return x;
  };
  if (options.cmap !== undefined) colormap(options.cmap); // an unknown name fails now, not after computing
  const style: FieldStyle = {
    cmap: options.cmap,
    vmin: number("--vmin", options.vmin),
    vmax: number("--vmax", options.vmax),
    width: number("--width", options.width, true),
    height: number("--height", options.height, true),
  };
  if (style.vmin !== undefined && style.vmax !== undefined && !(style.vmin < style.vmax))
    throw new InputError(`--vmin ${style.vmin} must be less than --vmax ${style.vmax}`);
  return style;
}

/** The variable to draw when none is named: the only one that is not a coordinate. */
function onlyDataVariable(vars: Record<string, LazyArray>, coords: string[], path: string): string {
  const data = Object.keys(vars).filter((n) => !coords.includes(n));
  if (data.length === 1) return data[0];
  throw new InputError(
    `${path}: name the variable to draw with --var (variables: ${data.join(", ") || "none"})`,
  );
}

/** Parses `dim=value,dim=value`; a value may itself hold no comma. */
function parseItems(flag: string, text: string | undefined): [string, string][] {
  if (text === undefined) return [];
  return text.split(",").map((item) => {
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(item);
    if (!m) throw new InputError(`${flag}: expected dim=value[,dim=value...], got "${item}"`);
    return [m[1], m[2]];
  });
}

function integer(flag: string, dim: string, s: string): number {
  if (!/^-?\d+$/.test(s)) throw new InputError(`${flag}: "${s}" for ${dim} is not an integer`);
  return Number(s);
}

function label(s: string): number | string {
  return s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : s;
}

/**
 * Applies `--isel` then `--sel` and describes each scalar selection by the coordinate value
 * it landed on (`level=500`, `time=2000-01-15`), for the picture's subtitle.
 */
export function applySelection(
  array: LazyArray,
  isel: string | undefined,
  sel: string | undefined,
): { array: LazyArray; described: string[] } {
  const described: string[] = [];
  let a = array;
  for (const [dim, text] of parseItems("--isel", isel)) {
    const length = a.sizeOf(dim);
    const parts = text.split(":");
    if (parts.length > 3)
      throw new InputError(`--isel: "${text}" for ${dim} is not i or start:stop[:step]`);
    const key: number | Slice =
      parts.length === 1
        ? integer("--isel", dim, text)
        : slice(
            ...(parts.map((p) => (p === "" ? null : integer("--isel", dim, p))) as [
              number | null,
              number | null,
              number | null,
            ]),
          );
    const resolved = resolveIndex(dim, length, key);
    if (resolved.kind === "index")
      described.push(`${dim}=${coordLabel(a.coords[dim], resolved.index)}`);
    a = a.isel({ [dim]: key });
  }
  for (const [dim, text] of parseItems("--sel", sel)) {
    a.sizeOf(dim);
    const range = text.split("..");
    if (range.length > 2)
      throw new InputError(`--sel: "${text}" for ${dim} is not a label or lo..hi`);
    const key =
      range.length === 2
        ? slice(range[0] === "" ? null : label(range[0]), range[1] === "" ? null : label(range[1]))
        : label(text);
    // nearest, but never from outside the coordinate's range: a label past its end would
    // snap to the last one and draw a map of something else
    const coord = a.coords[dim];
    const options = { method: "nearest" as const, tolerance: widestGap(coord) };
    let resolved;
    try {
      resolved = resolveLabel(coord, dim, key, options);
      // at an end label, half a step beyond it at most
      const n = coord?.values.length ?? 0;
      if (
        coord &&
        resolved.kind === "index" &&
        n > 1 &&
        (resolved.index === 0 || resolved.index === n - 1)
      ) {
        const inner = resolved.index === 0 ? 1 : n - 2;
        const halfStep = Math.abs(coord.values[resolved.index] - coord.values[inner]) / 2;
        resolveLabel(coord, dim, key, { method: "nearest", tolerance: halfStep });
      }
    } catch (e) {
      throw outOfRange(e, dim, text, coord);
    }
    if (resolved.kind === "index") described.push(`${dim}=${coordLabel(coord, resolved.index)}`);
    else if (resolved.kind === "range" && resolved.count === 0)
      throw outOfRange(undefined, dim, text, coord);
    a = a.sel({ [dim]: key }, options);
  }
  return { array: a, described };
}

/** The widest step between neighbouring labels (0 for one label): how far "nearest" may reach. */
function widestGap(coord: Coord | undefined): number {
  let gap = 0;
  const v = coord?.values ?? [];
  for (let i = 1; i < v.length; i++) gap = Math.max(gap, Math.abs(v[i] - v[i - 1]));
  return gap;
}

/** The refusal of a `--sel` that selects nothing or lies outside the coordinate. */
function outOfRange(e: unknown, dim: string, text: string, coord: Coord | undefined): Error {
  if (!coord || !(e === undefined || e instanceof InputError)) return e as Error;
  const n = coord.values.length;
  return new InputError(
    `--sel ${dim}=${text}: outside ${dim}'s labels ${coordLabel(coord, 0)} … ${coordLabel(coord, n - 1)} (${n} labels); nothing to draw`,
  );
}

/** A coordinate's value at `index` as people read it (dates for times). */
function coordLabel(coord: Coord | undefined, index: number): string {
  if (!coord) return String(index);
  const v = coord.values[index];
  if (coord.time) return formatTime(v, coord.time.calendar).replace(/T00:00:00$/, "");
  return String(Number(v.toPrecision(7)));
}

function unitsOf(a: LazyArray): string | undefined {
  return text(a.attrs.units);
}

function text(v: AttrValue | undefined): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function axisOf(a: LazyArray, dim: string): Axis {
  const c = a.coords[dim];
  return { name: dim, values: c?.values, units: text(c?.attrs.units), calendar: c?.time?.calendar };
}

/** `name: long_name`, as the picture's title. */
function titleOf(a: LazyArray): string {
  const long = text(a.attrs.long_name) ?? text(a.attrs.standard_name);
  return long && long !== a.name ? `${a.name}: ${long}` : a.name;
}

/**
 * Computes `array` and draws it to a PNG file: a 2-D array as a map (after squeezing
 * length-1 dims), a 1-D array as a line chart. A field larger than the picture is first
 * averaged down, block by block through the engine, to about one value per pixel, so
 * memory stays bounded whatever its size.
 *
 * @example
 * ```ts
 * const { vars } = await openDataset("eraint_uvz.nc");
 * await plotArray(vars.z.sel({ level: 500, month: 1 }), "z500.png", { cmap: "magma" });
 * ```
 */
export async function plotArray(
  array: LazyArray,
  output: string,
  style: PlotStyle = {},
): Promise<PlotSummary> {
  await refuseOverlap(output, inputLocations(array.built.graph));
  const squeezed = array.squeeze();
  const dims = squeezed.dims;
  if (dims.length === 0 || dims.length > 2)
    throw new InputError(
      `plot: ${array.name} has ${dims.length} dimensions${dims.length ? ` (${dims.join(", ")})` : ""} after selection; a map needs 2 and a line chart 1 (select with --isel/--sel, e.g. --isel ${array.dims[0] ?? "dim"}=0)`,
    );
  const title = titleOf(array);
  const stored = unitsOf(array);
  const units = stored && prettyUnits(stored);
  let canvas;
  let values;
  if (dims.length === 1) {
    const loaded = await load(squeezed, style.compute);
    values = loaded.data;
    canvas = drawLineChart(
      {
        y: values as ArrayLike<number>,
        x: axisOf(squeezed, dims[0]),
        title,
        subtitle: style.subtitle,
        yLabel: units ? `${array.name} (${units})` : array.name,
      },
      { width: style.width, height: style.height },
    );
  } else {
    const [ydim, xdim] = dims;
    const { area } = fieldLayout(
      {
        rows: squeezed.sizeOf(ydim),
        cols: squeezed.sizeOf(xdim),
        x: axisOf(squeezed, xdim),
        y: axisOf(squeezed, ydim),
      },
      style,
    );
    const reduced = reduceToPixels(squeezed, { [ydim]: area.height, [xdim]: area.width });
    const loaded = await load(reduced, style.compute);
    values = loaded.data;
    canvas = drawField(
      {
        values: values as ArrayLike<number>,
        rows: reduced.sizeOf(ydim),
        cols: reduced.sizeOf(xdim),
        x: axisOf(reduced, xdim),
        y: axisOf(reduced, ydim),
        title,
        subtitle: style.subtitle,
        units,
      },
      style,
    );
  }
  await writeFile(output, canvas.toPng());
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    kind: dims.length === 2 ? "map" : "line",
    width: canvas.width,
    height: canvas.height,
    min,
    max,
  };
}

/**
 * The array averaged over blocks so that no dim has more values than `pixels` says:
 * k = ceil(n / pixels) per dim, a short last block at the edge (NaN skipped).
 */
function reduceToPixels(a: LazyArray, pixels: Record<string, number>): LazyArray {
  const factors: Record<string, number> = {};
  for (const [dim, px] of Object.entries(pixels)) {
    const k = Math.ceil(a.sizeOf(dim) / Math.max(1, px));
    if (k > 1) factors[dim] = k;
  }
  if (Object.keys(factors).length === 0) return a;
  return a.coarsen(factors, { boundary: "pad" }).mean();
}
