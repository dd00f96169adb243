import { execFileSync } from "node:child_process";
import path from "node:path";
import { PYTHON } from "../helpers.js";

/** One input of an evaluation: named (a dataset NAME) or not (its variables in scope by name). */
export interface OracleInput {
  name?: string;
  path: string;
}

/** An xarray result as `dae run --print` shows one. */
export interface OracleArray {
  dims: string[];
  shape: number[];
  dtype: string;
  coords: Record<string, (number | string)[]>;
  data: (number | boolean | null)[];
}

/**
 * Evaluates Python xarray expressions over the inputs with test/oracles/xarray_eval.py, after
 * running the python `setup` code (which may write the inputs) in the same process.
 */
export function xarrayEval(inputs: OracleInput[], exprs: string[], setup?: string): OracleArray[] {
  const script = path.resolve(process.cwd(), "test", "oracles", "xarray_eval.py");
  const out = execFileSync(PYTHON, [script], {
    input: JSON.stringify({ inputs, exprs, setup }),
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  return JSON.parse(out) as OracleArray[];
}
