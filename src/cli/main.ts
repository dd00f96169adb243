import { Command, CommanderError } from "commander";
import { DaeError } from "../util/errors.js";
import { commands } from "./commands/index.js";
import { addHelpExamples } from "./help-examples.js";
import { packageVersion } from "../util/package-version.js";
import { closeDatasets } from "../exec/sources.js";
import { closeThreadPools } from "../exec/thread-executor.js";
import { tuneMalloc } from "../util/malloc-tuning.js";

/**
 * Runs the `dae` command line with `argv` (as `process.argv`) and returns the exit code.
 * User errors print one line (`dae: <message>`) and return 1; other errors are bugs and say
 * so, with the stack only under `--debug`.
 */
export async function main(argv: string[]): Promise<number> {
  tuneMalloc();
  const debug = argv.includes("--debug");
  const program = new Command("dae")
    .description("diskarray-engine: compute over chunked n-dimensional arrays larger than memory")
    .version(packageVersion(), "-V, --version", "print the version")
    .option("--debug", "show stack traces of errors")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  addHelpExamples(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    return reportError(e, debug);
  } finally {
    await closeThreadPools();
    await closeDatasets();
  }
}

/** Prints an error as the CLI shows it and returns the exit code. */
export function reportError(e: unknown, debug: boolean): number {
  if (e instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, --help)
    return e.exitCode === 0 ? 0 : 1;
  }
  if (e instanceof DaeError) {
    process.stderr.write(`dae: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  const err = e as Error;
  process.stderr.write(`dae: internal error: ${err?.message ?? String(e)}\n`);
  process.stderr.write(
    debug ? `${err?.stack}\n` : "(run again with --debug to see where; please report it)\n",
  );
  return 2;
}
