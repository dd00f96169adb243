import type { NumberArray } from "../../array/dtype.js";
import type { Box } from "../box.js";
import type { Node, WindowAxis, WindowNode } from "../graph.js";
import { InputError } from "../../util/errors.js";
import { directReduce } from "./direct-reduce.js";
import { gatherWindows } from "./gather-windows.js";
import { histogram } from "./histogram.js";
import { interpolate } from "./interpolate.js";
import { lookup } from "./lookup.js";
import { polyfit } from "./polyfit.js";
import { zonal, zonalBroadcast } from "./zonal.js";
import { scan } from "./scan.js";
import { sweep } from "./sweep.js";
import { userKernel } from "./user-kernels.js";

/** One input of a window kernel: its node, the box of it the output block reads, its data there. */
export interface WindowBlock {
  input: Node;
  inBox: Box;
  /** The input over `inBox`, C order (empty for streaming kernels: they `read` slabs). */
  data: NumberArray;
  windows: Record<string, WindowAxis>;
}

/** What a window kernel gets: the node, its inputs' blocks, and the output block to fill. */
export interface WindowKernelArgs {
  node: WindowNode;
  box: Box;
  out: NumberArray;
  inputs: WindowBlock[];
  /** Evaluates input `id` over a box (streaming kernels read their input slab by slab). */
  read(id: string, box: Box): Promise<NumberArray>;
}

export interface WindowKernel {
  /** Reads its input itself, in slabs, instead of being handed the whole input box. */
  streams?: boolean;
  run(args: WindowKernelArgs): void | Promise<void>;
}

/**
 * The window kernels by name. Which one a node uses is chosen where it is built
 * (src/api/windows.ts and friends): `sweep` for overlapping or adjacent windows that move
 * monotonically (rolling, coarsen, resample: O(1) or O(log w) per element), `reduce` for
 * anything else (O(window) per element), `gather` for group layouts and broadcasts back.
 */
const kernels: Record<string, WindowKernel> = {
  reduce: { run: directReduce },
  sweep: { run: sweep },
  gather: { streams: true, run: gatherWindows },
  interp: { run: interpolate },
  scan: { run: scan },
  lookup: { run: lookup },
  polyfit: { streams: true, run: polyfit },
  zonal: { streams: true, run: zonal },
  "zonal-broadcast": { run: zonalBroadcast },
  histogram: { streams: true, run: histogram },
  user: { run: userKernel },
};

/** The window kernel `name`. */
export function windowKernel(name: string): WindowKernel {
  const k = kernels[name];
  if (!k)
    throw new InputError(
      `unknown window kernel "${name}" (known: ${Object.keys(kernels).join(", ")})`,
    );
  return k;
}
