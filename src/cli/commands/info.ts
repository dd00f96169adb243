import type { Command } from "commander";
import type { AttrValue, Attrs } from "../../array/chunked-array.js";
import type { ChunkGrid } from "../../array/chunk-grid.js";
import { readBox } from "../../array/read-box.js";
import { formatTime } from "../../dataset/calendar.js";
import type { Dataset, Variable } from "../../dataset/dataset.js";
import { open } from "../../dataset/open.js";
import type { RegisterCommand } from "./index.js";

/** What `dae info --json` prints. */
export interface InfoJson {
  format: string;
  variables: Record<
    string,
    { dims: string[]; shape: number[]; dtype: string; chunks: (number | number[])[]; attrs: Attrs }
  >;
  /** Coordinate variables with their first and last values (times as ISO-like dates). */
  coords: Record<string, { first: number | string | null; last: number | string | null }>;
  attrs: Attrs;
}

/** `dae info PATH [--json] [--raw]`: what a file or store holds. */
export const registerInfo: RegisterCommand = (program: Command) => {
  program
    .command("info")
    .description(
      "show the variables, dimensions, chunks, codecs, coordinates and attributes of a file or store",
    )
    .argument("<path>", "Zarr store, NetCDF, HDF5 or GeoTIFF file, local or http(s)://")
    .option(
      "--json",
      "print JSON: {format, variables: {NAME: {dims, shape, dtype, chunks, attrs}}, coords, attrs}",
    )
    .option("--raw", "show stored dtypes and attributes (no CF decoding)")
    .action(async (path: string, options: { json?: boolean; raw?: boolean }) => {
      const ds = await open(path, { decode: !options.raw });
      try {
        const info = await describeDataset(ds);
        process.stdout.write(
          options.json ? `${JSON.stringify(info, jsonSafe, 2)}\n` : renderText(ds, info),
        );
      } finally {
        await ds.close();
      }
    });
};

/** The facts `dae info` shows, as plain data. */
export async function describeDataset(ds: Dataset): Promise<InfoJson> {
  const variables: InfoJson["variables"] = {};
  for (const [name, v] of ds.variables)
    variables[name] = {
      dims: [...v.dims],
      shape: [...v.shape],
      dtype: v.dtype,
      chunks: chunkSizes(v.raw.chunks),
      attrs: v.attrs,
    };
  const coords: InfoJson["coords"] = {};
  for (const name of ds.coords) {
    const v = ds.variables.get(name)!;
    coords[name] = { first: await valueAt(v, 0), last: await valueAt(v, -1) };
  }
  return { format: ds.format, variables, coords, attrs: ds.attrs };
}

/** Chunk size per dimension; an irregular dimension lists its sizes. */
function chunkSizes(grid: ChunkGrid): (number | number[])[] {
  return grid.dims.map((d) =>
    d.isRegular ? Math.min(d.size, Math.max(d.length, 1)) : d.toSizes(),
  );
}

/** Element `index` (negative from the end) of the flattened variable; dates for time axes. */
async function valueAt(v: Variable, index: number): Promise<number | string | null> {
  const n = v.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return null;
  const flat = index < 0 ? n + index : index;
  const at: number[] = [];
  let rest = flat;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    at[d] = rest % v.shape[d];
    rest = Math.floor(rest / v.shape[d]);
  }
  const value = (
    await readBox(
      v.array,
      at,
      at.map((i) => i + 1),
    )
  )[0];
  const x = typeof value === "bigint" ? Number(value) : value;
  return v.time ? formatTime(x, v.time.calendar) : x;
}

function renderText(ds: Dataset, info: InfoJson): string {
  const lines: string[] = [`${ds.source}  (${ds.format})`];
  const dims = [...dimensionLengths(ds)].map(([d, n]) => `${d}=${[...n].join("|")}`);
  lines.push(`dimensions: ${dims.join(", ") || "none"}`, "");
  if (ds.coords.length > 0) {
    lines.push("coordinates:");
    const rows = ds.coords.map((name) => {
      const v = ds.variables.get(name)!;
      const c = info.coords[name];
      return [
        name,
        `(${v.dims.join(", ")})`,
        v.dtype,
        `${show(c.first)} … ${show(c.last)}`,
        v.time ? v.time.calendar : attrText(v.attrs.units),
      ];
    });
    lines.push(...table(rows), "");
  }
  const dataVars = [...ds.variables.values()].filter((v) => !ds.coords.includes(v.name));
  if (dataVars.length > 0) {
    lines.push("variables:");
    lines.push(
      ...table([
        ["name", "dims", "shape", "dtype", "chunks", "codecs"],
        ...dataVars.map((v) => [
          v.name,
          `(${v.dims.join(", ")})`,
          `[${v.shape.join(", ")}]`,
          v.raw.dtype === v.dtype ? v.dtype : `${v.dtype} (stored ${v.raw.dtype})`,
          `[${info.variables[v.name].chunks.map((c) => (Array.isArray(c) ? `~${Math.max(...c)}` : c)).join(", ")}]`,
          codecs(v.raw.encoding ?? {}),
        ]),
      ]),
    );
    for (const v of dataVars) {
      const attrs = Object.entries(v.attrs);
      if (attrs.length === 0) continue;
      lines.push(`  ${v.name}:`);
      for (const [k, value] of attrs) lines.push(`    ${k}: ${attrText(value)}`);
    }
    lines.push("");
  }
  if (ds.unsupported.size > 0) {
    lines.push("not readable:");
    for (const [name, what] of ds.unsupported) lines.push(`  ${name}: ${what}`);
    lines.push("");
  }
  const globals = Object.entries(ds.attrs);
  if (globals.length > 0) {
    lines.push("attributes:");
    for (const [k, value] of globals) lines.push(`  ${k}: ${attrText(value)}`);
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Every length each dimension has (more than one only in Zarr groups of unrelated arrays). */
function dimensionLengths(ds: Dataset): Map<string, Set<number>> {
  const lengths = new Map<string, Set<number>>();
  for (const v of ds.variables.values())
    v.dims.forEach((dim, d) => {
      if (!lengths.has(dim)) lengths.set(dim, new Set());
      lengths.get(dim)!.add(v.shape[d]);
    });
  return lengths;
}

/** The codec chain of a variable from its reader's encoding facts (`zlib(4) shuffle`, `blosc/zstd`...). */
function codecs(encoding: Attrs): string {
  const parts: string[] = [];
  if (Array.isArray(encoding.filters)) parts.push(...encoding.filters.map(String));
  const compressor = encoding.compressor;
  if (typeof compressor === "string" && compressor !== "none")
    parts.push(encoding.level !== undefined ? `${compressor}(${encoding.level})` : compressor);
  if (encoding.predictor !== undefined && encoding.predictor !== "none")
    parts.push(`predictor=${attrText(encoding.predictor)}`);
  return parts.join(" ") || "none";
}

function show(value: number | string | null): string {
  return value === null ? "-" : String(value);
}

function attrText(value: AttrValue | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") {
    const line = value.replace(/\r?\n/g, "\\n"); // one attribute, one line
    return line.length > 120 ? `${line.slice(0, 117)}...` : line;
  }
  return JSON.stringify(value, jsonSafe);
}

/** Left-aligned columns, two spaces apart, indented by two. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => `  ${r.map((cell, c) => cell.padEnd(widths[c])).join("  ")}`.trimEnd());
}

/** JSON for attribute values JSON cannot hold: NaN and infinities as strings, bigints as numbers. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return Number(value);
  return value;
}
