import type { Command } from "commander";
import { openDataset } from "../../api/open-dataset.js";
import { spatialDims, writePyramid, type PyramidMethod } from "../../api/pyramid.js";
import { InputError } from "../../util/errors.js";
import { formatBytes, formatSeconds } from "../../util/format.js";
import { progressMode, progressReporter, taskProgress } from "../progress.js";
import type { RegisterCommand } from "./index.js";

interface PyramidCliOptions {
  var?: string;
  output: string;
  levels: string;
  method: string;
  dims?: string;
  tileSize: string;
  zarrFormat: string;
  overwrite?: boolean;
  memory?: string;
  workers?: string;
  quiet?: boolean;
  progress?: string;
}

const METHODS: PyramidMethod[] = ["mean", "mode", "nearest"];

/** `dae pyramid SRC -o OUT.zarr --levels N`: a multiscale pyramid with OME-Zarr `multiscales` metadata. */
export const registerPyramid: RegisterCommand = (program: Command) => {
  program
    .command("pyramid")
    .description(
      "write a multiscale pyramid (groups 0, 1, … each coarsened by 2 in the spatial dims) with OME-Zarr multiscales metadata, for web map viewers",
    )
    .argument("<src>", "Zarr store, NetCDF, HDF5 or GeoTIFF file, local or http(s)://")
    .requiredOption("-o, --output <out.zarr>", "Zarr store to write")
    .requiredOption("--levels <n>", "number of levels, full resolution included")
    .option("--var <name,...>", "variables (default: every data variable with both spatial dims)")
    .option(
      "--method <mean|mode|nearest>",
      "mean of 2×2 blocks, their most frequent value (categories), or every other pixel",
      "mean",
    )
    .option("--dims <y,x>", "the spatial dims (default: y/x or lat/lon by name, else the last two)")
    .option("--tile-size <px>", "chunk size along each spatial dim", "256")
    .option("--zarr-format <2|3>", "Zarr format to write", "3")
    .option("--overwrite", "replace OUT if it is a Zarr store")
    .option("--memory <size>", "memory budget, e.g. 512MB (default: half the free memory)")
    .option("--workers <n>", "worker threads (default: one per core)")
    .option("--progress <json>", "print progress as JSON lines on stderr")
    .option("--quiet", "print nothing on success")
    .action(async (src: string, options: PyramidCliOptions) => {
      const mode = progressMode(options);
      const method = options.method as PyramidMethod;
      if (!METHODS.includes(method))
        throw new InputError(
          `--method: unknown method "${options.method}" (known: ${METHODS.join(", ")})`,
        );
      const zarrFormat = Number(options.zarrFormat);
      if (zarrFormat !== 2 && zarrFormat !== 3)
        throw new InputError(`--zarr-format: must be 2 or 3, got "${options.zarrFormat}"`);
      const levels = wholeNumber("--levels", options.levels);
      const tileSize = wholeNumber("--tile-size", options.tileSize);
      const workers =
        options.workers === undefined ? undefined : wholeNumber("--workers", options.workers);
      const { vars, dataset } = await openDataset(src);
      try {
        const dims = options.dims === undefined ? undefined : parseDims(options.dims);
        const names = options.var
          ?.split(",")
          .map((n) => n.trim())
          .filter((n) => n !== "");
        for (const n of names ?? [])
          if (!vars[n])
            throw new InputError(
              `${src}: no variable "${n}" (variables: ${Object.keys(vars).join(", ")})`,
            );
        const chosen = (names ?? Object.keys(vars).filter((n) => !dataset.coords.includes(n))).map(
          (n) => vars[n],
        );
        const spatial = dims ?? (chosen.length ? spatialDims(chosen[0]) : undefined);
        const arrays = names
          ? chosen
          : chosen.filter((a) => spatial && spatial.every((d) => a.dims.includes(d)));
        if (arrays.length === 0 || !spatial)
          throw new InputError(
            `${src}: no variable has two spatial dimensions to make a pyramid of; name one with --var`,
          );
        const reporter = progressReporter(mode, "tasks");
        const started = Date.now();
        let bytesRead = 0;
        let bytesWritten = 0;
        let tasks = 0;
        let computing = 0; // the level being computed, for the progress line
        try {
          const written = await writePyramid(arrays, options.output, {
            levels,
            method,
            dims: spatial,
            tileSize,
            zarrFormat,
            overwrite: options.overwrite,
            memory: options.memory,
            workers,
            onProgress: (p) =>
              reporter.update(
                { ...taskProgress(p), detail: `level ${computing}/${levels - 1}` },
                { ...p, level: computing },
              ),
            onLevel: (level) => {
              computing = level.level + 1;
              bytesRead += level.run.progress.bytesRead;
              bytesWritten += level.run.progress.bytesWritten;
              tasks += level.run.progress.tasksDone;
            },
          });
          const sizes = written.map((l) => l.size.join("×"));
          reporter.finish(
            `wrote ${options.output} (Zarr v${zarrFormat}): ${levels} levels of ${arrays.map((a) => a.name).join(", ")} (${spatial.join(", ")}: ${sizes[0]} → ${sizes[sizes.length - 1]}), method ${method}; ${tasks} tasks, read ${formatBytes(bytesRead)}, wrote ${formatBytes(bytesWritten)} in ${formatSeconds((Date.now() - started) / 1000)}`,
          );
        } catch (e) {
          reporter.stop();
          throw e;
        }
      } finally {
        await dataset.close();
      }
    });
};

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !(n >= 1))
    throw new InputError(`${flag}: expected a whole number ≥ 1, got "${text}"`);
  return n;
}

function parseDims(text: string): [string, string] {
  const dims = text.split(",").map((d) => d.trim());
  if (dims.length !== 2 || dims.some((d) => d === ""))
    throw new InputError(`--dims: expected two dimension names y,x, got "${text}"`);
  return [dims[0], dims[1]];
}
