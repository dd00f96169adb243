import type { Command } from "commander";
import { load, toZarr, type LoadedArray } from "../../api/compute.js";
import type { LazyArray } from "../../api/lazy-array.js";
import { coordLabels } from "../../api/coords.js";
import { formatTime } from "../../dataset/calendar.js";
import type { Progress } from "../../exec/executor.js";
import { InputError } from "../../util/errors.js";
import { formatBytes } from "../../util/format.js";
import {
  addComputationOptions,
  prepareComputation,
  type ComputationOptions,
} from "../computation.js";
import { describeRun, progressMode, progressReporter, taskProgress } from "../progress.js";
import type { RegisterCommand } from "./index.js";

/** `--print` refuses results with more values than this: JSON of them would be unwieldy. */
export const PRINT_LIMIT = 1_000_000;

/**
 * What `dae run --print` writes: data flat in C order, times as ISO strings. JSON has no
 * NaN or infinities: NaN is `null`, ±Infinity the strings "Infinity" and "-Infinity".
 * The engine holds int64/uint64 as doubles, exact below ±2^53: a result of those dtypes with a
 * value beyond is refused rather than printed rounded.
 */
export interface PrintedArray {
  name: string;
  dims: string[];
  shape: number[];
  dtype: string;
  coords: Record<string, (number | string | null)[]>;
  data: (number | string | boolean | null)[];
}

/** A number as `--print` spells it (see {@link PrintedArray}). */
function printedNumber(v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

/** `dae run -i [NAME=]PATH … -e EXPR (-o OUT.zarr | --print)`: compute an expression over inputs. */
export const registerRun: RegisterCommand = (program: Command) => {
  addComputationOptions(
    program
      .command("run")
      .description(
        "compute an expression over arrays of files or stores, in bounded memory, into a Zarr store or as JSON",
      ),
  ).action(async (options: ComputationOptions) => {
    const mode = progressMode(options);
    const computation = await prepareComputation(options, true);
    try {
      const { array, output } = computation;
      if (output === undefined && array.size > PRINT_LIMIT)
        throw new InputError(
          `the result has ${array.size} values (${array.shape.join("×")}, ${formatBytes(array.size * 8)} as float64), too many to print (limit ${PRINT_LIMIT}): write it with -o OUT.zarr`,
        );
      const reporter = progressReporter(mode, "tasks");
      let last: Progress | undefined;
      const runOptions = {
        ...computation.options,
        onProgress: (p: Progress) => {
          last = p;
          reporter.update(taskProgress(p), p);
        },
      };
      try {
        if (output === undefined) {
          const result = await load(array, runOptions);
          reporter.finish(
            `computed ${describeArray(array)}: ${describeRun(taskProgress(last ?? NOTHING_RUN), "tasks")}`,
          );
          process.stdout.write(`${JSON.stringify(printable(result))}\n`);
        } else {
          const report = await toZarr(array, output, runOptions);
          reporter.finish(
            `wrote ${output} (Zarr v${runOptions.zarrFormat}): ${describeArray(array)}: ${describeRun(taskProgress(report.progress), "tasks")}`,
          );
        }
      } catch (e) {
        reporter.stop();
        throw e;
      }
    } finally {
      await computation.close();
    }
  });
};

/** Progress of a run with no tasks (an empty result). */
const NOTHING_RUN: Progress = {
  tasksDone: 0,
  tasksTotal: 0,
  bytesRead: 0,
  bytesWritten: 0,
  decodes: 0,
  decodesTotal: 0,
  elapsedSeconds: 0,
};

function describeArray(a: LazyArray): string {
  return `${a.name} (${a.dims.map((d, i) => `${d}=${a.shape[i]}`).join(", ") || "scalar"}) ${a.dtype}`;
}

/** A loaded array as `--print` shows it. */
export function printable(a: LoadedArray): PrintedArray {
  const coords: PrintedArray["coords"] = {};
  for (const d of a.dims) {
    const c = a.coords[d];
    if (!c) continue;
    const time = c.time;
    coords[d] = time
      ? Array.from(c.values, (v) => formatTime(v, time.calendar))
      : (coordLabels(c) ?? Array.from(c.values as ArrayLike<number>, printedNumber));
  }
  const bool = a.dtype === "bool";
  if (a.dtype === "int64" || a.dtype === "uint64") {
    const i = a.data.findIndex((v) => Math.abs(v) > Number.MAX_SAFE_INTEGER);
    if (i >= 0)
      throw new InputError(
        `${a.name}: the ${a.dtype} value at flat index ${i} (about ${a.data[i]}) is beyond ±(2^53 - 1), where the engine's doubles are not exact; not printed`,
      );
  }
  const data = Array.from(a.data, (v) => (bool ? v !== 0 : printedNumber(v)));
  return { name: a.name, dims: a.dims, shape: a.shape, dtype: a.dtype, coords, data };
}
