import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { evaluateExpression, type ExpressionScope } from "../api/expression.js";
import type { LazyArray } from "../api/lazy-array.js";
import { openDataset, type LazyDataset } from "../api/open-dataset.js";
import { unsupportedVariable } from "../dataset/dataset.js";
import type { ToZarrOptions } from "../api/compute.js";
import { InputError } from "../util/errors.js";
import { parseBytes, sizeProblem } from "../util/format.js";
import { checkZarrOutput } from "./output-format.js";
import {
  addRedisSecurityOptions,
  redisSecurity,
  type RedisSecurityOptions,
} from "./redis-options.js";

/** The options `dae run` and `dae plan` share, as commander gives them. */
export interface ComputationOptions extends RedisSecurityOptions {
  input?: string[];
  expr: string;
  output?: string;
  print?: boolean;
  memory?: string;
  workers?: string;
  executor: string;
  zarrFormat: string;
  name?: string;
  overwrite?: boolean;
  resume?: boolean;
  redis?: string;
  quiet?: boolean;
  progress?: string;
  stallReport?: string;
  stallLimit?: string;
  kernels?: string[];
  raw?: boolean;
}

/** A parsed command: the array to compute, where it goes, and how to run it. */
export interface Computation {
  array: LazyArray;
  /** The Zarr store to write, or undefined to print. */
  output?: string;
  options: ToZarrOptions;
  /** Closes the input datasets. */
  close(): Promise<void>;
}

/** Adds the options of a computation over inputs (`dae run`, `dae plan`) to `command`. */
export function addComputationOptions(command: Command): Command {
  command
    .option(
      "-i, --input <[name=]path>",
      "input file or store; repeat for more. Without NAME its variables are in scope by name, with NAME as NAME.var",
      collect,
    )
    .requiredOption(
      "-e, --expr <expression>",
      'what to compute, e.g. \'z.sel({level: 500}).mean("month")\' or "(u ** 2 + v ** 2) ** 0.5"',
    )
    .option("-o, --output <out.zarr>", "write the result to this Zarr store")
    .option("--print", "print the result as JSON: {dims, shape, dtype, coords, data}")
    .option(
      "--memory <size>",
      "memory budget for all running tasks, e.g. 512MB or 2GB (default: half the free memory, at most 8 GB)",
    )
    .option("--workers <n>", "worker threads (default: one per core)")
    .option(
      "--executor <name>",
      "where tasks run: threads (a worker pool), inline (this thread) or distributed (dae worker processes, with --redis)",
      "threads",
    )
    .option("--zarr-format <2|3>", "Zarr format of the output", "3")
    .option(
      "--name <var>",
      "name of the result (default: the first input variable in the expression)",
    )
    .option("--overwrite", "replace the output store if it exists")
    .option(
      "--resume",
      "continue an unfinished output where it stopped (the same command, run again)",
    )
    .option(
      "--redis <url>",
      "Redis of the distributed executor: redis://[user@]host:port[/db] or rediss:// (the password: DAE_REDIS_PASSWORD or --redis-password-file)",
    )
    .option("--quiet", "print nothing but the result")
    .option(
      "--raw",
      "read the stored values: no CF decoding of scale/offset, fill values or times (xarray's decode_cf=False)",
    )
    .option("--progress <format>", "progress as JSON lines on stderr (format: json)")
    .option(
      "--stall-report <seconds>",
      "distributed: say so (and why) when no task has moved for this long",
      "60",
    )
    .option(
      "--stall-limit <seconds>",
      "distributed: fail the run (resumable) when no task has moved for this long and no worker is connected or Redis does not answer",
      "900",
    )
    .option(
      "--kernels <file>",
      'module file of user kernels, called as kernel("name", x, {dims: ["time"]}); repeat for more',
      collect,
    );
  return addRedisSecurityOptions(command);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Checks the options, opens the inputs and evaluates the expression (nothing is computed yet). */
export async function prepareComputation(
  o: ComputationOptions,
  requireTarget: boolean,
): Promise<Computation> {
  if (o.output !== undefined && o.print)
    throw new InputError("give either -o OUT.zarr or --print, not both");
  if (requireTarget && o.output === undefined && !o.print)
    throw new InputError("where should the result go? give -o OUT.zarr or --print");
  if (o.output !== undefined) checkZarrOutput("-o", o.output);
  const options = computeOptions(o);
  if (!o.input?.length) throw new InputError("no input: give one or more with -i [NAME=]PATH");
  const inputs = parseInputs(o.input);
  const opened: LazyDataset[] = [];
  const close = async () => {
    await Promise.all(opened.map((d) => d.dataset.close()));
  };
  try {
    for (const input of inputs) opened.push(await openDataset(input.path, { decode: !o.raw }));
    const kernels = await kernelExports(o.kernels ?? []);
    let array = evaluateExpression(o.expr, buildScope(inputs, opened), { kernels });
    if (o.name !== undefined) array = array.rename(o.name);
    return { array, output: o.output, options, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The functions the `--kernels` modules export, by name: the module each comes from. */
async function kernelExports(files: string[]): Promise<Record<string, string>> {
  const kernels: Record<string, string> = {};
  for (const file of files) {
    const abs = path.resolve(file);
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`--kernels ${file}: cannot load: ${(e as Error).message}`, { cause: e });
    }
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== "function") continue;
      if (kernels[name])
        throw new InputError(`--kernels: both ${kernels[name]} and ${abs} export "${name}"`);
      kernels[name] = abs;
    }
  }
  return kernels;
}

const EXECUTORS = ["threads", "inline", "distributed"] as const;

function computeOptions(o: ComputationOptions): ToZarrOptions {
  const executor = EXECUTORS.find((e) => e === o.executor);
  if (!executor)
    throw new InputError(`--executor: must be threads, inline or distributed, got "${o.executor}"`);
  if (executor === "distributed" && !o.redis)
    throw new InputError(
      "--executor distributed needs --redis URL (where dae worker processes take tasks)",
    );
  const options: ToZarrOptions = {
    executor,
    overwrite: o.overwrite ?? false,
    resume: o.resume ?? false,
    redis: o.redis,
    ...(executor === "distributed"
      ? {
          distributed: {
            ...redisSecurity(o),
            stallReportSeconds: seconds("--stall-report", o.stallReport ?? "60"),
            stallLimitSeconds: seconds("--stall-limit", o.stallLimit ?? "900"),
          },
        }
      : {}),
  };
  if (o.memory !== undefined) {
    const bytes = parseBytes(o.memory);
    if (bytes === undefined || bytes <= 0)
      throw new InputError(`--memory: ${sizeProblem(o.memory)}`);
    options.memory = bytes;
  }
  if (o.workers !== undefined) {
    const n = Number(o.workers);
    if (!/^\d+$/.test(o.workers) || n < 1)
      throw new InputError(`--workers: must be a positive integer, got "${o.workers}"`);
    options.workers = n;
  }
  const zarrFormat = Number(o.zarrFormat);
  if (zarrFormat !== 2 && zarrFormat !== 3)
    throw new InputError(`--zarr-format: must be 2 or 3, got "${o.zarrFormat}"`);
  options.zarrFormat = zarrFormat;
  return options;
}

/** A positive number of seconds from an option. */
function seconds(option: string, value: string): number {
  const n = Number(value);
  if (!(value.trim() !== "" && Number.isFinite(n) && n > 0))
    throw new InputError(`${option}: must be a number of seconds > 0, got "${value}"`);
  return n;
}

interface Input {
  name?: string;
  path: string;
}

/** `-i a=era.zarr` names an input; `-i era.nc` does not (a path may itself hold `=`). */
function parseInputs(specs: string[]): Input[] {
  const inputs = specs.map((spec): Input => {
    const m = /^([A-Za-z_$][\w$]*)=(.+)$/.exec(spec);
    return m ? { name: m[1], path: m[2] } : { path: spec };
  });
  const names = inputs.flatMap((i) => (i.name ? [i.name] : []));
  const twice = names.find((n, k) => names.indexOf(n) !== k);
  if (twice) throw new InputError(`-i: two inputs are named "${twice}"`);
  return inputs;
}

/**
 * Named inputs are datasets in scope; unnamed inputs put their variables in scope by name.
 * A variable name two unnamed inputs share is an error only if the expression uses it.
 */
function buildScope(inputs: Input[], opened: LazyDataset[]): ExpressionScope {
  const scope: ExpressionScope = {};
  const owners = new Map<string, number[]>();
  inputs.forEach((input, k) => {
    if (input.name) scope[input.name] = opened[k];
    else for (const v of Object.keys(opened[k].vars)) owners.set(v, [...(owners.get(v) ?? []), k]);
  });
  inputs.forEach((input, k) => {
    if (input.name) return;
    for (const [v, what] of opened[k].dataset.unsupported)
      if (!owners.has(v) && !Object.prototype.hasOwnProperty.call(scope, v))
        Object.defineProperty(scope, v, {
          enumerable: false,
          get() {
            throw unsupportedVariable(input.path, v, what);
          },
        });
  });
  for (const [v, ks] of owners) {
    if (Object.prototype.hasOwnProperty.call(scope, v)) continue;
    if (ks.length === 1) {
      scope[v] = opened[ks[0]].vars[v];
      continue;
    }
    const paths = ks.map((k) => inputs[k].path);
    Object.defineProperty(scope, v, {
      enumerable: true,
      get() {
        throw new InputError(
          `expression: "${v}" is a variable of several inputs (${paths.join(", ")}): name them, e.g. -i a=${paths[0]}, and write a.${v}`,
        );
      },
    });
  }
  return scope;
}
