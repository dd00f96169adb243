import { boxSize, fullBox, type Box } from "../core/box.js";
import { inputsOf, type Graph, type Node } from "../core/graph.js";
import { blockBytes } from "../plan/memory.js";
import { blockBox, taskAt, totalTasks, type Plan } from "../plan/plan.js";
import { sourceElements, visitBoxes } from "../plan/propagate.js";
import { LazyArray } from "./lazy-array.js";

/** Above this many times its own input, re-reading for a shared result costs more than a stage. */
const RECOMPUTE_LIMIT = 2;
/** Blocks sampled to estimate how much a plan re-reads (plans may have many thousands). */
const SAMPLE_BLOCKS = 64;

/**
 * Small intermediate results that many blocks would each compute again — a group mean
 * feeding an anomaly needs, for every block of time, the means of the months it touches,
 * so fused it re-reads most of the time axis per block — are computed once first and read
 * as sources. Only reductions and window ops small enough to hold (a share of the budget)
 * qualify, and only when the plan would read their inputs more than RECOMPUTE_LIMIT times.
 *
 * `materialize` computes one such node and returns it as an array read from a source (in
 * memory for in-memory results, a Zarr store in the work directory for `toZarr`). Returns
 * the arrays on the rewritten graph, or undefined when nothing qualifies.
 */
export async function precomputeShared(
  list: LazyArray[],
  plan: Plan,
  materialize: (node: LazyArray, index: number, count: number) => Promise<LazyArray>,
): Promise<LazyArray[] | undefined> {
  const candidates = recomputed(plan);
  if (candidates.length === 0) return undefined;
  const graph: Graph = { ...plan.graph };
  for (let k = 0; k < candidates.length; k++) {
    const node = candidates[k];
    const sub = subgraph(plan.graph, node.id);
    const done = await materialize(
      new LazyArray({ node, graph: sub }, {}, {}, `shared_${k}`),
      k,
      candidates.length,
    );
    // the node keeps its id, so every consumer now reads the stored result
    graph[node.id] = { ...done.built.node, id: node.id };
    Object.assign(graph, done.built.graph, { [node.id]: graph[node.id] });
  }
  return list.map(
    (a) =>
      new LazyArray(
        { node: a.built.node, graph: subgraph(graph, a.built.node.id) },
        a.coords,
        a.attrs,
        a.name,
        a.chunkHint,
      ),
  );
}

/** The reductions and window ops of a plan that its blocks would compute again and again (computed once first). */
export function recomputed(plan: Plan): Node[] {
  const { graph } = plan;
  const roots = new Set(plan.outputs.map((o) => o.id));
  const small = Math.min(64 << 20, plan.memory.budget / 8);
  const read = new Map<string, number>();
  const total = totalTasks(plan);
  const step = Math.max(1, Math.floor(total / SAMPLE_BLOCKS));
  let sampled = 0;
  for (let k = 0; k < total; k += step) {
    const task = taskAt(plan, k);
    const box = blockBox(plan, task.group, task.block);
    for (const i of plan.groups[task.group].outputs)
      visitBoxes(graph, plan.outputs[i].id, box, (n: Node, b: Box) => {
        if ((n.op === "reduce" || n.op === "window") && !roots.has(n.id))
          read.set(n.id, (read.get(n.id) ?? 0) + sourceElements(graph, n.id, b));
      });
    sampled++;
  }
  const out: Node[] = [];
  for (const [id, elements] of read) {
    const n = graph[id];
    if (blockBytes(n, boxSize(fullBox(n.shape))) > small) continue;
    const once = sourceElements(graph, id, fullBox(n.shape));
    if (once > 0 && (elements * total) / sampled > RECOMPUTE_LIMIT * once) out.push(n);
  }
  // outermost first: a shared result inside another is computed within it
  return out.filter((n) => !out.some((m) => m !== n && reaches(graph, m.id, n.id)));
}

function subgraph(graph: Graph, id: string): Graph {
  const out: Graph = {};
  const stack = [id];
  while (stack.length) {
    const n = graph[stack.pop()!];
    if (out[n.id]) continue;
    out[n.id] = n;
    stack.push(...inputsOf(n));
  }
  return out;
}

function reaches(graph: Graph, from: string, to: string): boolean {
  return subgraph(graph, from)[to] !== undefined;
}
