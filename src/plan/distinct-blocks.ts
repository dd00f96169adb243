import { fullBox, type Box } from "../core/box.js";
import type { Graph, Node, WindowAxis } from "../core/graph.js";
import { sourceReads, visitBoxes, type SourceRead } from "./propagate.js";

/** Work the planner's walks along a dim count (tests bound planning by it, never by seconds). */
export const planningCounts = { blocksWalked: 0 };

/** A block standing for `weight` blocks that read alike (the same ranges, shifted by whole chunks). */
export interface WeightedBlock {
  reads: SourceRead[];
  weight: number;
}

/**
 * The blocks along output dim `d` of the roots cut into blocks of `extent` (the other dims
 * whole), as distinct positions with how many blocks each stands for: the blocks at either
 * end whose reads an array edge cuts, then one of each position of the interior modulo the
 * `translationPeriod` — so the walk grows with distinct positions, not with blocks (a dim of
 * 500,000 one-step chunks is a handful of positions). Where no period holds, every block.
 * Also, per read and source dim, whether dim `d` drives it (some block reads another range
 * of it than the whole array does).
 */
export function distinctBlocks(
  graph: Graph,
  roots: readonly Node[],
  d: number,
  extent: number,
): { blocks: WeightedBlock[]; drives: boolean[][] } {
  const shape = roots[0].shape;
  const n = shape[d];
  const whole = sourceReads(graph, roots, fullBox(shape));
  const walkOver = (start: number, stop: number) => {
    const box = fullBox(shape);
    box.start[d] = start;
    box.stop[d] = stop;
    return nodeBoxes(graph, roots, box);
  };
  const count = n > 0 ? Math.ceil(n / extent) : 0;
  const at = new Map<number, Visited[]>();
  const walkOf = (i: number) => {
    let r = at.get(i);
    if (!r) {
      planningCounts.blocksWalked++;
      at.set(i, (r = walkOver(i * extent, Math.min(n, (i + 1) * extent))));
    }
    return r;
  };
  const block = (i: number, weight: number): WeightedBlock => ({
    reads: walkOf(i).filter((v): v is SourceRead => v.source.op === "source"),
    weight,
  });
  const blocks: WeightedBlock[] = [];
  const period =
    count > 0
      ? translationPeriod(
          graph,
          roots,
          nodeBoxes(graph, roots, fullBox(shape)),
          walkOver(0, 1),
          walkOver(n - 1, n),
        )
      : undefined;
  if (!period) for (let i = 0; i < count; i++) blocks.push(block(i, 1));
  else {
    const interior = (i: number) => (i + 1) * extent <= n && inside(walkOf(i), period.driven);
    let first = 0;
    for (; first < count && !interior(first); first++) blocks.push(block(first, 1));
    let last = count - 1;
    for (; last > first && !interior(last); last--) blocks.push(block(last, 1));
    if (first < count) {
      const run = last - first + 1;
      const positions = Math.min(run, period.length / gcd(extent, period.length));
      for (let c = 0; c < positions; c++)
        blocks.push(block(first + c, Math.floor(run / positions) + (c < run % positions ? 1 : 0)));
    }
  }
  const drives = whole.map((w, k) =>
    w.source.dims.map((_, j) => blocks.some((b) => differs(b.reads[k].box, w.box, j))),
  );
  return { blocks, drives };
}

/** A node and the box of it an evaluation visits (`source` is any node here). */
interface Visited {
  source: Node;
  box: Box;
}

/** Every node an evaluation of the roots over `box` visits, with its box, in the evaluator's order. */
export function nodeBoxes(graph: Graph, roots: readonly Node[], box: Box): Visited[] {
  const out: Visited[] = [];
  for (const r of roots) visitBoxes(graph, r.id, box, (m, b) => out.push({ source: m, box: b }));
  return out;
}

function differs(a: Box, b: Box, j: number): boolean {
  return a.start[j] !== b.start[j] || a.stop[j] !== b.stop[j];
}

/** Whether every visited box stays strictly inside its node along the dims the output dim drives (no edge cuts a window short). */
export function inside(visited: Visited[], driven: boolean[][]): boolean {
  return visited.every((v, k) =>
    v.box.start.every((s, j) => !driven[k][j] || (s > 0 && v.box.stop[j] < v.source.shape[j])),
  );
}

/**
 * Along an output dim whose reads are affine in the output position (every window regular,
 * every view step whole, every source chunk grid regular), a shift by a multiple of each
 * driven source dim's chunk shifts every read by whole chunks: the least common multiple of
 * those chunks (`length`) is a period of how blocks read, for blocks whose boxes no edge of
 * any node cuts (and these are a contiguous run: affine boxes are monotone in the position).
 * Undefined when some window is listed (groups, resampling, interpolation) or some grid
 * irregular. `whole`, `atFirst`, `atLast`: the nodes visited over the whole output and over
 * its first and last position along the dim. `driven[k][j]`: whether dim j of visited node k
 * follows the output dim: an affine box equal to the whole at both ends is the whole everywhere.
 */
export function translationPeriod(
  graph: Graph,
  roots: readonly Node[],
  whole: Visited[],
  atFirst: Visited[],
  atLast: Visited[],
): { length: number; driven: boolean[][] } | undefined {
  for (const { source: m } of whole) {
    if (m.op === "source" && m.chunkSizes?.some((c) => c !== undefined)) return undefined;
    if (m.op === "window" && ![m.windows, ...(m.others ?? []).map((o) => o.windows)].every(affine))
      return undefined;
    if (
      m.op === "view" &&
      !m.axes.every((a) => !a || (Number.isInteger(a.start) && Number.isInteger(a.step)))
    )
      return undefined;
  }
  const driven = whole.map((w, k) =>
    w.box.start.map(
      (_, j) => differs(atFirst[k].box, w.box, j) || differs(atLast[k].box, w.box, j),
    ),
  );
  let length = 1;
  whole.forEach((w, k) => {
    const m = w.source;
    if (m.op !== "source") return;
    m.chunkShape.forEach((c, j) => {
      if (driven[k][j]) length = (length / gcd(length, c)) * c;
    });
  });
  return { length, driven };
}

/** Windows whose positions are an affine function of the output index (offset + step × j, size long). */
function affine(windows: Record<string, WindowAxis>): boolean {
  return Object.values(windows).every(
    (w) =>
      w.starts === undefined &&
      w.stops === undefined &&
      w.index === undefined &&
      w.memberDim === undefined &&
      [w.offset ?? 0, w.step ?? 1, w.size ?? 1].every(Number.isInteger),
  );
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
