import type { NumberArray } from "../array/dtype.js";
import { boxSize, type Box } from "./box.js";
import type { Graph, Node, ReduceNode, WindowNode } from "./graph.js";
import type { Reducer } from "./kernels/reductions.js";

/** A grouped reduction folded straight from the grouped array (see `groupFoldOf`). */
export interface GroupFold {
  /** The node of the grouped array (the gather's input). */
  source: Node;
  /** Per position along the grouped dim: its group (-1: none) and its member index. */
  groupAt: Int32Array;
  memberAt: Int32Array;
}

/**
 * Recognises a streamed reduction over the members of a group gather
 * (`a.groupby("time.month").mean()`) whose grouped dim is the array's first dim — the usual
 * time-first layout. Such a reduction can fold each step along the grouped dim into its
 * group's state directly, reading the grouped dim once in order, instead of building the
 * member × group layout (a float64 copy of every value, read member slab by member slab).
 */
export function groupFoldOf(graph: Graph, node: ReduceNode, input: Node): GroupFold | undefined {
  if (input.op !== "window" || input.kernel !== "gather" || input.others || node.over.length !== 1)
    return undefined;
  const entries = Object.entries((input as WindowNode).windows);
  if (entries.length !== 1) return undefined;
  const [dim, w] = entries[0];
  const source = graph[input.input];
  const members = input.shape[0];
  const aligned =
    w.memberDim === node.over[0] &&
    input.dims[0] === w.memberDim &&
    input.dims[1] === w.outDim &&
    source.dims[0] === dim;
  if (!aligned || !w.index || w.size !== members || w.step !== members) return undefined;
  if (input.dims.slice(2).join() !== source.dims.slice(1).join()) return undefined;
  const groupAt = new Int32Array(source.shape[0]).fill(-1);
  const memberAt = new Int32Array(source.shape[0]);
  w.index.forEach((t, k) => {
    if (t < 0) return;
    groupAt[t] = Math.floor(k / members);
    memberAt[t] = k % members;
  });
  return { source, groupAt, memberAt };
}

/**
 * Steps along the grouped dim read at once: a source's chunk (read without a copy), else as
 * many steps as the planner's member slab (`slabMembers` per group) holds for `groups` groups.
 */
export function groupSlabSteps(g: GroupFold, slabMembers: number, groups: number): number {
  return g.source.op === "source" ? g.source.chunkShape[0] : Math.max(1, slabMembers * groups);
}

/**
 * Folds members `inBox.start[0]…stop[0]` of groups `box.start[0]…stop[0]` (and the rest of
 * `box`) into `states`, reading the grouped array in slabs of `slab` steps (`groupSlabSteps`),
 * aligned to multiples of `slab` (a source's chunks).
 */
export async function foldGroups(
  g: GroupFold,
  read: (id: string, box: Box) => Promise<NumberArray>,
  reducers: Reducer[],
  nodes: ReduceNode[],
  states: Float64Array[][],
  box: Box,
  inBox: Box,
  slab: number,
): Promise<void> {
  const [g0, g1] = [box.start[0], box.stop[0]];
  const [m0, m1] = [inBox.start[0], inBox.stop[0]];
  const wanted = (t: number) =>
    g.groupAt[t] >= g0 && g.groupAt[t] < g1 && g.memberAt[t] >= m0 && g.memberAt[t] < m1;
  const first = g.groupAt.findIndex((_, t) => wanted(t));
  if (first < 0) return;
  let last = g.groupAt.length - 1;
  while (!wanted(last)) last--;
  const rest: Box = { start: box.start.slice(1), stop: box.stop.slice(1) };
  const plane = boxSize(rest);
  for (let t0 = first; t0 <= last; t0 = (Math.floor(t0 / slab) + 1) * slab) {
    const t1 = Math.min(last + 1, (Math.floor(t0 / slab) + 1) * slab);
    const data = await read(g.source.id, { start: [t0, ...rest.start], stop: [t1, ...rest.stop] });
    for (let t = t0; t < t1; t++) {
      if (!wanted(t)) continue;
      const at = (g.groupAt[t] - g0) * plane;
      const values = data.subarray((t - t0) * plane, (t - t0 + 1) * plane);
      reducers.forEach((r, j) =>
        r.foldPlanes(
          states[j].map((s) => s.subarray(at, at + plane)),
          values,
          1,
          g.memberAt[t],
          nodes[j].skipna,
        ),
      );
    }
  }
}
