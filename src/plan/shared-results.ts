import { boxSize, fullBox, type Box } from "../core/box.js";
import { inputsOf, type Graph, type Node } from "../core/graph.js";
import { blockBytes } from "./memory.js";
import { blockBox, taskAt, totalTasks, type Plan } from "./plan.js";
import { sourceElements, visitBoxes } from "./propagate.js";

/** Above this many times its own input, re-reading for a shared result costs more than a stage. */
const RECOMPUTE_LIMIT = 2;
/** Blocks sampled to estimate how much a plan re-reads (plans may have many thousands). */
const SAMPLE_BLOCKS = 64;

/**
 * The reductions and window ops of a plan that its blocks would compute again and again, to
 * be computed once first (a stage of their own) and read as sources: a group mean feeding an
 * anomaly needs, for every block of time, the means of the months it touches, so fused it
 * re-reads most of the time axis per block. Only results small enough to hold (a share of
 * the budget) qualify, and only when the plan would read their inputs more than
 * RECOMPUTE_LIMIT times. Outermost first: a shared result inside another is computed within it.
 */
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
  return out.filter((n) => !out.some((m) => m !== n && reaches(graph, m.id, n.id)));
}

/** The nodes `id` reaches (itself included). */
export function subgraph(graph: Graph, id: string): Graph {
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
