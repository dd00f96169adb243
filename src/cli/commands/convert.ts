import type { Command } from "commander";
import { dimensionSizes, getVariable, type Dataset, type Variable } from "../../dataset/dataset.js";
import { open } from "../../dataset/open.js";
import { checkDimSizes } from "../../dataset/output-chunks.js";
import { writeDatasetZarr, type WriteZarrOptions } from "../../dataset/write-zarr.js";
import { InputError } from "../../util/errors.js";
import { checkZarrOutput } from "../output-format.js";
import { progressMode, progressReporter } from "../progress.js";
import type { RegisterCommand } from "./index.js";

const COMPRESSORS = ["zstd", "blosc", "gzip", "zlib", "lz4", "none"] as const;

interface ConvertOptions {
  chunks?: string;
  shards?: string;
  zarrFormat: string;
  compressor?: string;
  variables?: string;
  overwrite?: boolean;
  raw?: boolean;
  quiet?: boolean;
  progress?: string;
}

/** `dae convert SRC DST.zarr`: copy every variable into a new Zarr store, chunk by chunk. */
export const registerConvert: RegisterCommand = (program: Command) => {
  program
    .command("convert")
    .description(
      "copy a Zarr store, NetCDF, HDF5 or GeoTIFF file into a new Zarr store, chunk by chunk in bounded memory",
    )
    .argument("<src>", "file or store to read (local or http(s)://)")
    .argument("<dst>", "Zarr store to write (a directory)")
    .option(
      "--chunks <dim=n,...>",
      "output chunk size per dimension (others: the source's chunks, or ~4 MB chunks)",
    )
    .option(
      "--shards <dim=n,...>",
      "shard size per dimension, a multiple of the chunk size (Zarr 3 only)",
    )
    .option("--zarr-format <2|3>", "Zarr format to write", "3")
    .option("--compressor <name>", `compressor: ${COMPRESSORS.join(", ")} (default zstd)`)
    .option("--variables <name,...>", "copy only these variables (and the coordinates they use)")
    .option("--overwrite", "replace DST if it is a Zarr store")
    .option("--raw", "copy stored values and attributes as they are (no CF decoding)")
    .option("--quiet", "print nothing on success")
    .option("--progress <format>", "progress as JSON lines on stderr (format: json)")
    .action(async (src: string, dst: string, options: ConvertOptions) => {
      checkZarrOutput("convert: DST", dst);
      const writeOptions = parseOptions(options);
      const mode = progressMode(options);
      const ds = await open(src, { decode: !options.raw });
      try {
        const selected = selectVariables(ds, options.variables);
        const dims = dimensionSizes({ variables: selected });
        checkDimSizes("--chunks", writeOptions.chunks ?? {}, dims.keys());
        checkDimSizes("--shards", writeOptions.shards ?? {}, dims.keys());
        const started = Date.now();
        const reporter = progressReporter(mode, "chunks");
        let summary;
        try {
          summary = await writeDatasetZarr(
            { variables: selected, attrs: ds.attrs, source: src },
            dst,
            {
              ...writeOptions,
              onProgress: (p) =>
                reporter.update(
                  {
                    done: p.chunksDone,
                    total: p.chunksTotal,
                    bytesWritten: p.bytesWritten,
                    elapsedSeconds: (Date.now() - started) / 1000,
                    detail: p.variable,
                  },
                  p,
                ),
            },
          );
        } catch (e) {
          reporter.stop();
          throw e;
        }
        const mb = (summary.bytes / 1e6).toFixed(1);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        reporter.finish(
          `wrote ${dst} (Zarr v${writeOptions.zarrFormat}): ${summary.variables} variables, ${summary.chunks} chunks, ${mb} MB in ${seconds} s`,
        );
      } finally {
        await ds.close();
      }
    });
};

function parseOptions(options: ConvertOptions): WriteZarrOptions {
  const zarrFormat = Number(options.zarrFormat);
  if (zarrFormat !== 2 && zarrFormat !== 3)
    throw new InputError(`--zarr-format: must be 2 or 3, got "${options.zarrFormat}"`);
  const compressor = options.compressor;
  if (compressor !== undefined && !(COMPRESSORS as readonly string[]).includes(compressor))
    throw new InputError(
      `--compressor: unknown compressor "${compressor}" (known: ${COMPRESSORS.join(", ")})`,
    );
  return {
    zarrFormat,
    overwrite: options.overwrite ?? false,
    ...(options.chunks !== undefined ? { chunks: parseDimSizes("--chunks", options.chunks) } : {}),
    ...(options.shards !== undefined ? { shards: parseDimSizes("--shards", options.shards) } : {}),
    ...(compressor ? { compressor: compressor as (typeof COMPRESSORS)[number] } : {}),
  };
}

/** Parses `time=1,lat=100` into sizes by dimension; a malformed item is an `InputError` naming it. */
export function parseDimSizes(option: string, text: string): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const item of text.split(",")) {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(item);
    if (!match) throw new InputError(`${option}: expected dim=n[,dim=n...], got "${item}"`);
    const n = Number(match[2]);
    if (!/^\d+$/.test(match[2]) || !Number.isSafeInteger(n) || n <= 0)
      throw new InputError(
        `${option}: size of ${match[1]} must be a positive integer, got "${match[2]}"`,
      );
    sizes[match[1]] = n;
  }
  return sizes;
}

/** The variables to copy: all, or the named ones plus the coordinates along their dimensions. */
function selectVariables(ds: Dataset, names: string | undefined): Map<string, Variable> {
  if (names === undefined) return ds.variables;
  const wanted = names
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  const chosen = wanted.map((n) => getVariable(ds, n));
  const dims = new Set(chosen.flatMap((v) => v.dims));
  const selected = new Map<string, Variable>();
  for (const [name, v] of ds.variables)
    if (wanted.includes(name) || (ds.coords.includes(name) && v.dims.every((d) => dims.has(d))))
      selected.set(name, v);
  return selected;
}
