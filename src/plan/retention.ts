import { fullBox, type Box } from "../core/box.js";
import type { Graph, Node } from "../core/graph.js";
import {
  distinctBlocks,
  gcd,
  inside,
  nodeBoxes,
  planningCounts,
  translationPeriod,
} from "./distinct-blocks.js";
import { blockBytes } from "./memory.js";
import { sourceReads } from "./propagate.js";
import { chunkSpan, overlap } from "./source-chunks.js";

/**
 * Bytes of input chunks that a task computed in steps keeps from one step to the next (see
 * `PlannedGroup.steps`): at a step boundary, the chunks that the steps before it read and the
 * steps after it read again — the largest over every boundary of every task, for tasks of
 * `taskShape` stepped by `step` along output dim `dim`.
 *
 * Every op maps dims independently, so a source dim is driven by at most one output dim: along
 * `dim`, the chunks both sides of a boundary overlap are counted; along the others, the most
 * chunks any task's range overlaps (all of them for dims no output dim drives).
 */
export function retainedBytes(
  graph: Graph,
  roots: readonly Node[],
  taskShape: readonly number[],
  dim: number,
  step: number,
): number {
  const shape = roots[0].shape;
  const whole = sourceReads(graph, roots, fullBox(shape));
  const readsAlong = (d: number, start: number, stop: number) => {
    const box = fullBox(shape);
    box.start[d] = start;
    box.stop[d] = stop;
    return sourceReads(graph, roots, box);
  };
  const driven = (k: number, box: Box, j: number) =>
    box.start[j] !== whole[k].box.start[j] || box.stop[j] !== whole[k].box.stop[j];
  const most = whole.map((r) =>
    r.source.dims.map((_, j) => overlap(r.source, j, r.box.start[j], r.box.stop[j])),
  );
  shape.forEach((_, d) => {
    if (d === dim) return;
    const { blocks, drives } = distinctBlocks(graph, roots, d, taskShape[d]);
    whole.forEach((r, k) =>
      r.source.dims.forEach((_, j) => {
        if (drives[k][j])
          most[k][j] = Math.max(
            ...blocks.map((b) =>
              overlap(r.source, j, b.reads[k].box.start[j], b.reads[k].box.stop[j]),
            ),
          );
      }),
    );
  });
  const keptAt = (task: number, b: number, stop: number) => {
    const before = readsAlong(dim, task, b);
    const after = readsAlong(dim, b, stop);
    return whole.map((r, k) => {
      let chunks = 1;
      r.source.dims.forEach((_, j) => {
        const p = before[k].box;
        const f = after[k].box;
        if (!driven(k, p, j) && !driven(k, f, j)) chunks *= most[k][j];
        else {
          const [p0, p1] = chunkSpan(r.source, j, p.start[j], p.stop[j]);
          const [f0, f1] = chunkSpan(r.source, j, f.start[j], f.stop[j]);
          chunks *= Math.max(0, Math.min(p1, f1) - Math.max(p0, f0) + 1);
        }
      });
      return (
        chunks *
        blockBytes(
          r.source,
          r.source.chunkShape.reduce((a, c) => a * c, 1),
        )
      );
    });
  };
  /** The most a task keeps at any boundary of its steps. */
  const taskWorst = (task: number): number => {
    planningCounts.blocksWalked++;
    const stop = Math.min(n, task + taskShape[dim]);
    let most = 0;
    // bytes each read keeps at each boundary of this task's steps
    let before = whole.map(() => 0);
    for (let b = task + step; ; b += step) {
      const after = b < stop ? keptAt(task, b, stop) : whole.map(() => 0);
      // a step's reads use up the chunks kept for them before they decode those kept after
      most = Math.max(
        most,
        after.reduce((sum, x, k) => sum + Math.max(x, before[k]), 0),
      );
      if (b >= stop) break;
      before = after;
    }
    return most;
  };
  const n = shape[dim];
  const extent = taskShape[dim];
  const tasks = Math.max(1, Math.ceil(n / extent));
  const boxesOver = (start: number, stop: number) => {
    const box = fullBox(shape);
    box.start[dim] = start;
    box.stop[dim] = stop;
    return nodeBoxes(graph, roots, box);
  };
  const period = translationPeriod(
    graph,
    roots,
    nodeBoxes(graph, roots, fullBox(shape)),
    boxesOver(0, 1),
    boxesOver(n - 1, n),
  );
  let worst = 0;
  if (period === undefined) {
    for (let i = 0; i < tasks; i++) worst = Math.max(worst, taskWorst(i * extent));
    return worst;
  }
  // tasks whose boxes no edge cuts and that are whole keep what any task a period further
  // keeps (see `translationPeriod`): walk the others, and one task of each position
  const interior = (i: number) =>
    (i + 1) * extent <= n && inside(boxesOver(i * extent, (i + 1) * extent), period.driven);
  let first = 0;
  for (; first < tasks && !interior(first); first++)
    worst = Math.max(worst, taskWorst(first * extent));
  let last = tasks - 1;
  for (; last > first && !interior(last); last--) worst = Math.max(worst, taskWorst(last * extent));
  const positions = period.length / gcd(extent, period.length);
  for (let i = first; i <= Math.min(last, first + positions - 1); i++)
    worst = Math.max(worst, taskWorst(i * extent));
  return worst;
}
