import type { Node, ReduceNode } from "./graph.js";
import { isWhole, reducer } from "./kernels/reductions.js";

/**
 * Whether roots are streamed reductions of one input over the same dims: then one slab of
 * the input is folded into all their states, and they can be split into partial tasks.
 */
export function canFoldTogether(roots: Node[]): roots is ReduceNode[] {
  const first = roots[0];
  return roots.every(
    (r) =>
      r.op === "reduce" &&
      first.op === "reduce" &&
      !isWhole(reducer(r.fn)) &&
      r.input === first.input &&
      r.over.join() === first.over.join(),
  );
}
