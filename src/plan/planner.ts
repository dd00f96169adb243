import { boxSize, fullBox, type Box } from "../core/box.js";
import {
  opName,
  type Graph,
  type Node,
  type ReduceNode,
  type SourceNode,
  type WindowNode,
} from "../core/graph.js";
import { isWhole, reducer } from "../core/kernels/reductions.js";
import { windowChunk } from "../core/kernels/window-axis.js";
import { canFoldTogether } from "../core/fold-together.js";
import { InputError, MemoryBudgetError } from "../util/errors.js";
import { blockBytes, peakBytes, writeBytes } from "./memory.js";
import {
  sourceName,
  totalDecodes,
  totalTasks,
  type DecodeCount,
  type OutputTarget,
  type Plan,
  type PlannedGroup,
  type PlannedOutput,
} from "./plan.js";
import { distinctBlocks, gcd } from "./distinct-blocks.js";
import { inputBox, sourceElements, sourceReads, visitBoxes } from "./propagate.js";
import { retainedBytes } from "./retention.js";
import { overlap } from "./source-chunks.js";
import { formatBytes } from "../util/format.js";
import { scratchShare } from "../util/scratch-buffers.js";

/** What to plan: the outputs (roots of the graph) and the resources. */
export interface PlanRequest {
  graph: Graph;
  outputs: { id: string; name: string; target: OutputTarget; chunks?: number[] }[];
  /** Memory budget in bytes for all concurrently running tasks. */
  memory: number;
  workers: number;
}

/** Per-task chunk cache: holds input chunks that straddle slabs of one task. */
const MAX_CACHE = 64 << 20;
/**
 * What reading a byte from decoded chunks costs (copying it into a block, computing on it),
 * in decoded bytes: copying runs several times faster than decoding, and blocks whose windows
 * reach past them read some bytes twice.
 */
const READ_COST = 0.25;
/** What a task costs beyond its decodes (scheduling, opening, writing), in decode-bytes. */
const TASK_OVERHEAD = 1 << 20;
/**
 * Blocks (or steps) holding more than this cost more per byte, by the square root of how many
 * times more: fresh memory is faulted in page by page (once per thread, buffers are pooled),
 * and blocks far past the CPU's caches stream every pass through memory. The root, not the
 * ratio: a large step on every input's chunk edges can save more decodes than its size costs.
 */
const LARGE_TASK = 96 << 20;
/** Default output chunks aim at about this many bytes. */
const TARGET_CHUNK = 4 << 20;

/**
 * Plans the outputs: output chunks, blocks made of whole output chunks, slabs for long
 * reductions, partial tasks when there are too few blocks to keep the workers busy, and a
 * memory projection that stays under the budget — or a `MemoryBudgetError` before anything
 * runs, saying what to change.
 */
export function makePlan(req: PlanRequest): Plan {
  let best: Plan | undefined;
  let refusal: unknown;
  // a small budget is tried lean (see `planFor`) on every number of workers before refusing
  for (const lean of [false, true]) {
    for (let workers = req.workers; workers >= 1; workers = Math.floor(workers / 2)) {
      // a share of the budget too small for whole source chunks decodes each chunk many times
      // (or does not fit at all): fewer workers with larger shares can be much faster
      if (best && worstRedecodes(best) <= REDECODE_LIMIT) break;
      let p: Plan;
      try {
        p = planFor(req, workers, lean);
      } catch (e) {
        if (!(e instanceof MemoryBudgetError)) throw e;
        refusal ??= e;
        continue;
      }
      if (!best || planCost(p) < planCost(best)) best = p;
    }
    if (best) break;
  }
  if (!best) throw refusal;
  if (best.memory.workers < req.workers)
    best.notes.push(
      `${best.memory.workers} of ${req.workers} workers: with the budget shared by all, each task would decode source chunks many times (or not fit)`,
    );
  return best;
}

/** Decodes per source chunk above which fewer, larger tasks are tried. */
const REDECODE_LIMIT = 2;

function worstRedecodes(plan: Plan): number {
  return Math.max(1, ...plan.decodes.map((d) => d.decodes / Math.max(1, d.chunks)));
}

/** A plan's running time in decodes per busy worker (decodes dominate reading runs). */
function planCost(plan: Plan): number {
  return totalDecodes(plan) / Math.min(plan.memory.workers, Math.max(1, totalTasks(plan)));
}

/**
 * The plan on `workers` workers. `lean`: for budgets too small otherwise, workers keep no
 * free scratch buffers (they only save allocations) and a chunk cache of one source chunk
 * (enough for a chunk that straddles consecutive slabs of a task), not an eighth of their share.
 */
function planFor(req: PlanRequest, workers: number, lean = false): Plan {
  const { graph } = req;
  const outputs: PlannedOutput[] = req.outputs.map((o) => ({
    id: o.id,
    name: o.name,
    target: o.target,
    // in-memory results have no chunks to write: their unit is the source chunking, ungrown
    chunkShape:
      o.chunks ?? defaultChunks(graph, graph[o.id], o.target.kind === "memory" ? 0 : TARGET_CHUNK),
  }));
  // results returned in memory are held by the coordinator for the whole run
  const held = outputs.reduce(
    (s, o) =>
      s +
      (o.target.kind === "memory"
        ? blockBytes(graph[o.id], boxSize(fullBox(graph[o.id].shape)))
        : 0),
    0,
  );
  if (held >= req.memory)
    throw new MemoryBudgetError(
      `the result${outputs.length > 1 ? "s" : ""} to load (${formatBytes(held)}) would not fit the memory budget of ${formatBytes(req.memory)}: ` +
        `write to Zarr (-o / toZarr) instead, or raise --memory`,
    );
  const perWorker = Math.floor((req.memory - held) / workers);
  const cacheBytes = Math.min(
    MAX_CACHE,
    Math.floor(perWorker / 8),
    lean ? largestSourceChunk(graph) : Infinity,
  );
  const scratchBytes = lean ? 0 : scratchShare(perWorker);
  const perTaskBudget = perWorker - cacheBytes - scratchBytes;
  const slabs: Record<string, Record<string, number>> = {};
  const notes: string[] = [];
  // outputs of one shape and chunking are computed together, one block of each per task
  const groups: PlannedGroup[] = [];
  const keyOf = (o: PlannedOutput) =>
    JSON.stringify([graph[o.id].dims, graph[o.id].shape, o.chunkShape]);
  const byKey = new Map<string, number[]>();
  outputs.forEach((o, i) => byKey.set(keyOf(o), [...(byKey.get(keyOf(o)) ?? []), i]));
  let perTask = 0;
  let retain = 0;
  // only plain blocks keep the chunks their reads cut through (stepped ones keep what later steps read)
  let cutCache = 0;
  for (const members of byKey.values()) {
    const roots = members.map((i) => graph[outputs[i].id]);
    const chunkShape = outputs[members[0]].chunkShape;
    const inMemory = members.every((i) => outputs[i].target.kind === "memory");
    const names = members.map((i) => outputs[i].name || "the unnamed output").join(", ");
    const best = named(names, () =>
      chooseBlocks(graph, roots, chunkShape, perTaskBudget, workers, slabs, inMemory, cacheBytes),
    );
    const node = roots[0];
    const blockCounts = node.shape.map((n, d) => Math.max(1, Math.ceil(n / best.blockShape[d])));
    const group: PlannedGroup = { outputs: members, blockShape: best.blockShape, blockCounts };
    const blocks = blockCounts.reduce((a, b) => a * b, 1);
    const split = blocks < workers ? splitReduction(graph, roots, workers, blocks) : undefined;
    if (best.steps) {
      const dim = node.dims[best.steps.dim];
      group.steps = { dim, extent: best.steps.extent, retainBytes: best.retain };
      notes.push(
        `${names}: each block computed in steps of ${best.steps.extent} along ${dim}; the task keeps the input chunks later steps read again (${formatBytes(best.retain)} at most), so each is decoded once per task`,
      );
    }
    if (split) {
      group.split = split;
      notes.push(
        `${names}: ${blocks} block(s) for ${workers} workers: reduction split into ${split.parts} partial tasks along ${split.dim}, states combined`,
      );
    }
    if (members.length > 1)
      notes.push(`${names}: computed together, one pass over their shared inputs`);
    perTask = Math.max(perTask, best.peak + best.retain);
    retain = Math.max(retain, best.retain);
    if (!best.steps) cutCache = cacheBytes;
    groups.push(group);
    for (const r of roots)
      notes.push(...fusionNotes(graph, r, outputs[members[roots.indexOf(r)]].name));
  }
  const taskCounts = groups.map(
    (g) => g.blockCounts.reduce((a, b) => a * b, 1) * (g.split?.parts ?? 1),
  );
  const decodes = countDecodes(graph, outputs, groups);
  for (const d of decodes)
    if (d.decodes > MAX_CHUNK_READS)
      throw new InputError(
        `${d.source}: the plan reads ${d.decodes} of its chunks, more than the 2^32 a run may (absurd chunking?); refused: select a part of it, or rechunk it first`,
      );
  const total = (perTask + cutCache + scratchBytes) * workers + held;
  if (total > req.memory)
    throw new MemoryBudgetError(
      `the results to hold in memory (${formatBytes(held)}) and ${workers} task(s) of ${formatBytes(perTask + cutCache + scratchBytes)} ` +
        `need ${formatBytes(total)}, over the budget of ${formatBytes(req.memory)}: write to Zarr (-o) instead of loading, ` +
        `raise --memory, or use fewer --workers`,
    );
  if (lean)
    notes.push(
      `a small budget: workers keep a chunk cache of ${formatBytes(cacheBytes)} and no free scratch buffers`,
    );
  return {
    graph,
    outputs,
    groups,
    slabs,
    taskCounts,
    memory: {
      budget: req.memory,
      workers,
      perTask: perTask + cutCache + scratchBytes,
      cacheBytes: cutCache + retain,
      scratchBytes,
      held,
      total,
    },
    decodes,
    notes,
  };
}

/** The decoded bytes of the largest chunk of any source of `graph`. */
function largestSourceChunk(graph: Graph): number {
  let largest = 0;
  for (const n of Object.values(graph))
    if (n.op === "source")
      largest = Math.max(
        largest,
        blockBytes(
          n,
          n.chunkShape.reduce((a, b) => a * b, 1),
        ),
      );
  return largest;
}

/**
 * Output chunks when none are asked for: each dim inherits the chunk size of the source dim
 * it comes from, then leading dims grow until a chunk is about TARGET_CHUNK bytes.
 */
export function defaultChunks(graph: Graph, node: Node, target = TARGET_CHUNK): number[] {
  const chunks = node.dims.map(
    (d, i) => Math.min(node.shape[i], sourceChunk(graph, node, d) ?? node.shape[i]) || 1,
  );
  const item = blockBytes(node, 1);
  let bytes = chunks.reduce((a, b) => a * b, item);
  for (let d = 0; d < chunks.length && bytes < target / 2; d++) {
    while (chunks[d] < node.shape[d] && bytes * 2 <= target) {
      const next = Math.min(node.shape[d], chunks[d] * 2);
      bytes = (bytes / chunks[d]) * next;
      chunks[d] = next;
    }
  }
  return chunks;
}

/** The chunk size of the first source dim that output dim `dim` of `node` reads from. */
function sourceChunk(graph: Graph, node: Node, dim: string): number | undefined {
  return sourceChunks(graph, node, dim)[0];
}

/** The chunk sizes of the source dims that output dim `dim` of `node` reads from (the first source's first). */
function sourceChunks(graph: Graph, node: Node, dim: string): number[] {
  switch (node.op) {
    case "source":
      return [node.chunkShape[node.dims.indexOf(dim)]];
    case "map":
      return node.inputs.flatMap((o) =>
        "node" in o && graph[o.node].dims.includes(dim)
          ? sourceChunks(graph, graph[o.node], dim)
          : [],
      );
    case "view": {
      const a = node.axes[node.dims.indexOf(dim)];
      return a
        ? sourceChunks(graph, graph[node.input], a.inDim).map((c) =>
            Math.max(1, Math.floor(c / Math.abs(a.step))),
          )
        : [];
    }
    case "reduce":
      return sourceChunks(graph, graph[node.input], dim);
    case "window": {
      const input = graph[node.input];
      const c = windowChunk(
        node,
        dim,
        (d) => extent(input, d),
        (d) => sourceChunk(graph, input, d),
      );
      return c ? [c] : [];
    }
  }
}

/**
 * The block extents tried along an output dim: the output chunk times powers of two, the
 * smallest multiple of it on which every source's chunks along the dim also end (their least
 * common multiple) times powers of two, and the whole dim. Doubling alone never lands on the
 * sources' chunk edges (48 → 96 → … misses 720 = lcm(48, 360)), and a block between them
 * decodes the chunks it cuts twice.
 */
/** `plan()`, with a refusal prefixed by the outputs it is about. */
function named<T>(names: string, plan: () => T): T {
  try {
    return plan();
  } catch (e) {
    if (e instanceof MemoryBudgetError) throw new MemoryBudgetError(`${names}: ${e.message}`);
    throw e;
  }
}

function blockLadder(length: number, chunk: number, sources: readonly number[]): number[] {
  const n = Math.max(1, length); // an empty dim is one empty block
  const rungs = new Set<number>([n]);
  const aligned = sources.reduce((l, c) => lcm(l, c), chunk);
  for (const base of [chunk, aligned]) for (let e = base; e < n; e *= 2) rungs.add(e);
  return [...rungs].sort((a, b) => a - b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** A block shape the planner considers, with its projected memory and cost. */
interface Candidate {
  blockShape: number[];
  steps?: { dim: number; extent: number };
  /** Projected peak of one block (of one step, for a stepped one), chunk cache and scratch aside. */
  peak: number;
  /** Input chunks kept between steps (see `retainedBytes`). */
  retain: number;
  cost: number;
}

/**
 * Picks the block shape (a multiple of the output chunk per dim) that minimises the decode
 * cost per busy worker, among those whose projected peak fits the per-task budget: plain
 * blocks, grown greedily along the `blockLadder` of each dim, and blocks computed in steps
 * along one dim (see `PlannedGroup.steps`), whose tasks hold one step and the input chunks
 * that straddle steps, so that they can span whole input chunks where a plain block of the
 * same memory would cut them.
 */
function chooseBlocks(
  graph: Graph,
  roots: Node[],
  chunkShape: number[],
  budget: number,
  workers: number,
  slabs: Record<string, Record<string, number>>,
  /** Blocks may be smaller than `chunkShape` (in-memory results: nothing is written per chunk). */
  shrinkable = false,
  /** The chunk cache of plain blocks, outside `budget`: stepped blocks need none besides what they retain. */
  cutCache = 0,
): Candidate {
  const node = roots[0];
  if (shrinkable) chunkShape = shrinkToFit(graph, roots, chunkShape, budget, slabs);
  const ids = roots.map((r) => r.id);
  const ladders = node.dims.map((d, i) =>
    blockLadder(
      node.shape[i],
      Math.min(node.shape[i], chunkShape[i]) || 1,
      sourceChunks(graph, node, d),
    ),
  );
  /** A task's peak over blocks (or steps) of `stepShape`: evaluating them, or writing them out. */
  const peakOf = (stepShape: number[]): number => {
    const blocksHeld = roots.reduce(
      (sum, r) => sum + blockBytes(r, boxSize(fullBox(stepShape))),
      0,
    );
    // written outputs: the blocks are held while a run of chunks is filled from them
    const writing = shrinkable
      ? 0
      : blocksHeld + Math.max(...roots.map((r) => writeBytes(r, stepShape, chunkShape)));
    return Math.max(fitSlabs(graph, ids, fullBox(stepShape), budget, slabs), writing);
  };
  const evaluateShape = (
    blockShape: number[],
    steps?: Candidate["steps"],
  ): Candidate | undefined => {
    const stepShape = steps
      ? blockShape.map((e, d) => (d === steps.dim ? steps.extent : e))
      : blockShape;
    const peak = peakOf(stepShape);
    const room = budget + (steps ? cutCache : 0);
    if (peak > room) return undefined;
    const retain = steps ? retainedBytes(graph, roots, blockShape, steps.dim, steps.extent) : 0;
    if (peak + retain > room) return undefined;
    const tasks = node.shape.reduce((p, n, d) => p * Math.max(1, Math.ceil(n / blockShape[d])), 1);
    if (steps && tasks < MIN_TASKS_PER_WORKER * workers) return undefined;
    const decodeBytes = roots.reduce((sum, r) => sum + decodeCost(graph, r, blockShape), 0);
    // steps read what their windows need around them again (from the cache): by step, not by block
    const readShape = steps
      ? blockShape.map((e, d) => (d === steps.dim ? steps.extent : e))
      : blockShape;
    const readBytes = roots.reduce((sum, r) => sum + readCost(graph, r, readShape), 0);
    // the busiest worker's share: tasks are alike, so it runs ceil(tasks / workers) of them
    const perWorker =
      ((decodeBytes + READ_COST * readBytes + tasks * TASK_OVERHEAD) / tasks) *
      Math.ceil(tasks / workers);
    return {
      blockShape,
      steps,
      peak,
      retain,
      cost: perWorker * Math.sqrt(Math.max(1, peak / LARGE_TASK)),
    };
  };
  /** Grows `from` greedily: each move takes the dim and rung (of those not `fixed`) that lower the cost most. */
  const grow = (from: Candidate, rungs: number[], fixed = -1): Candidate => {
    let best = from;
    for (;;) {
      let move: { d: number; r: number; c: Candidate } | undefined;
      ladders.forEach((ladder, d) => {
        if (d === fixed) return;
        for (let r = rungs[d] + 1; r < ladder.length; r++) {
          const c = evaluateShape(
            best.blockShape.map((e, i) => (i === d ? ladder[r] : e)),
            best.steps,
          );
          if (!c) break; // larger rungs take more memory still
          if (c.cost < (move?.c ?? best).cost * 0.98) move = { d, r, c };
        }
      });
      if (!move) return best;
      best = move.c;
      rungs[move.d] = move.r;
    }
  };
  const first = evaluateShape(ladders.map((l) => l[0]));
  if (!first) {
    const peak = peakOf(ladders.map((l) => l[0]));
    throw new MemoryBudgetError(
      `${node.dims.length ? `one output chunk of ${chunkShape.join("×")} (${node.dims.join("×")})` : "the output (a single value)"} needs ${formatBytes(peak)} per task ` +
        `(${whyLarge(graph)}), over ${formatBytes(budget)} per task (the budget over ${workers} worker(s)): ` +
        `raise --memory, use fewer --workers, or ask for smaller output chunks`,
    );
  }
  let best = grow(
    first,
    ladders.map(() => 0),
  );
  const plain = best;
  if (!shrinkable && !canFoldTogether(roots))
    ladders.forEach((ladder, d) => {
      const n = node.shape[d];
      // steps no longer than the plain block along d; tasks of at most MAX_TASK_STEPS of them
      for (let r = 0; r < ladder.length && ladder[r] < n && ladder[r] <= plain.blockShape[d]; r++) {
        const step = ladder[r];
        const count = Math.ceil(n / step);
        for (let parts = Math.ceil(count / MAX_TASK_STEPS); parts < count; parts *= 2) {
          const steps = { dim: d, extent: step };
          const shape = ladders.map((l, i) =>
            i === d ? Math.min(n, step * Math.ceil(count / parts)) : l[0],
          );
          if (stepRecompute(graph, roots, shape, steps) > STEP_RECOMPUTE_LIMIT) return;
          const start = evaluateShape(shape, steps);
          if (!start) continue;
          const c = grow(
            start,
            ladders.map(() => 0),
            d,
          );
          if (c.cost < best.cost * 0.98) best = c;
        }
      }
    });
  fitSlabs(
    graph,
    ids,
    fullBox(
      best.steps
        ? best.blockShape.map((e, i) => (i === best.steps!.dim ? best.steps!.extent : e))
        : best.blockShape,
    ),
    budget,
    slabs,
  );
  return best;
}

/**
 * Stepped tasks are at most this many steps, and at least MIN_TASKS_PER_WORKER per worker:
 * progress and `--resume` go task by task, and a task's memory no longer bounds its length.
 * Each cut re-decodes the chunks that straddle it, so fewer, longer tasks decode less; large
 * arrays have many tasks whatever this says.
 */
const MAX_TASK_STEPS = 16;
const MIN_TASKS_PER_WORKER = 2;

/** Above this many times their own reads, reductions recomputed in each step rule steps out. */
const STEP_RECOMPUTE_LIMIT = 1.5;

/**
 * How many times the reductions inside the roots (not the roots themselves) read their
 * sources when the first task of `taskShape` is computed in `steps`, against once over the
 * whole task: a group mean feeding an anomaly needs, in every step, the means of the months it
 * touches, each computed from all of the month's days again.
 */
function stepRecompute(
  graph: Graph,
  roots: Node[],
  taskShape: number[],
  steps: { dim: number; extent: number },
): number {
  const ids = new Set(roots.map((r) => r.id));
  const reads = (box: Box) => {
    let n = 0;
    for (const r of roots)
      visitBoxes(graph, r.id, box, (m, b) => {
        if (m.op === "reduce" && !ids.has(m.id)) n += sourceElements(graph, m.id, b);
      });
    return n;
  };
  const task: Box = {
    start: taskShape.map(() => 0),
    stop: taskShape.map((e, d) => Math.min(e, roots[0].shape[d])),
  };
  const once = reads(task);
  if (once === 0) return 1;
  let stepped = 0;
  for (let s = 0; s < task.stop[steps.dim]; s += steps.extent) {
    const box = { start: [...task.start], stop: [...task.stop] };
    box.start[steps.dim] = s;
    box.stop[steps.dim] = Math.min(task.stop[steps.dim], s + steps.extent);
    stepped += reads(box);
  }
  return stepped / once;
}

/** Halves the largest dim of `shape` until a block of it fits `budget` (or it is all ones). */
function shrinkToFit(
  graph: Graph,
  roots: Node[],
  shape: number[],
  budget: number,
  slabs: Record<string, Record<string, number>>,
): number[] {
  const s = roots[0].shape.map((n, d) => Math.min(n, shape[d]) || 1);
  const ids = roots.map((r) => r.id);
  while (fitSlabs(graph, ids, { start: s.map(() => 0), stop: s }, budget, slabs) > budget) {
    const largest = Math.max(1, ...s);
    if (largest <= 1) break;
    const d = s.indexOf(largest);
    s[d] = Math.ceil(s[d] / 2);
  }
  return s;
}

/** What makes a task large, for the budget error: whole-axis reductions first. */
function whyLarge(graph: Graph): string {
  for (const n of Object.values(graph))
    if (n.op === "reduce" && isWhole(reducer(n.fn)))
      return `${n.fn} needs the whole ${n.over.join(", ")} axis of each output element in memory`;
  return "its input blocks, broadcast copies and output";
}

/**
 * Shrinks the slabs of streamed reductions under `rootIds` until evaluating a block of the
 * extents of `box` fits `budget`, wherever the block lies, aligning slab extents to source
 * chunks; returns the resulting peak. Blocks differ by where they lie: the first block's
 * windows are cut short at the array's start, a middle one's are not, a last one may be short.
 * Every op maps dims independently, so the worst block takes, dim by dim, the first or the
 * middle position, whichever reads more.
 */
function fitSlabs(
  graph: Graph,
  rootIds: string[],
  box: Box,
  budget: number,
  slabs: Record<string, Record<string, number>>,
): number {
  const reduces: ReduceNode[] = [];
  for (const rootId of rootIds)
    visitBoxes(graph, rootId, box, (n) => {
      if (n.op === "reduce" && !isWhole(reducer(n.fn)) && !reduces.includes(n)) reduces.push(n);
    });
  // slabs start one source chunk deep along each reduced dim: slab boxes then line up with
  // source chunks (read without a copy) and stay small; they shrink further only to fit
  for (const r of reduces) {
    const input = graph[r.input];
    const start: Record<string, number> = {};
    for (const d of r.over) {
      const c = sourceChunk(graph, input, d);
      if (c && c < extent(input, d)) start[d] = c;
    }
    slabs[r.id] = start;
  }
  const peakAt = (b: Box) => rootIds.reduce((sum, id) => sum + peakBytes(graph, id, b, slabs), 0);
  const shape = graph[rootIds[0]].shape;
  const worst: Box = { start: [...box.start], stop: [...box.stop] };
  shape.forEach((n, d) => {
    const e = box.stop[d] - box.start[d];
    const middle = { start: [...box.start], stop: [...box.stop] };
    middle.start[d] = e > 0 ? Math.floor(Math.ceil(n / e) / 2) * e : 0;
    middle.stop[d] = Math.min(n, middle.start[d] + e);
    if (peakAt(middle) > peakAt(box))
      [worst.start[d], worst.stop[d]] = [middle.start[d], middle.stop[d]];
  });
  const peakOf = () => peakAt(worst);
  let peak = peakOf();
  while (peak > budget) {
    let shrunk = false;
    for (const r of reduces) {
      const input = graph[r.input];
      const s = (slabs[r.id] ??= {});
      // shrink the largest reduced dim's slab, to a multiple of its source chunk when possible
      const dim = r.over.reduce((a, b) =>
        (s[a] ?? extent(input, a)) >= (s[b] ?? extent(input, b)) ? a : b,
      );
      const cur = s[dim] ?? extent(input, dim);
      if (cur <= 1) continue;
      const chunk = sourceChunk(graph, input, dim) ?? 1;
      const half = Math.ceil(cur / 2);
      s[dim] = half > chunk ? Math.ceil(half / chunk) * chunk : half;
      if (s[dim] >= cur) s[dim] = half;
      shrunk = true;
    }
    if (!shrunk) break;
    peak = peakOf();
  }
  return peak;
}

function extent(node: Node, dim: string): number {
  return node.shape[node.dims.indexOf(dim)];
}

/**
 * Decoded bytes over the whole output for a block shape: every chunk a block's reads overlap
 * is decoded for it.
 */
function decodeCost(graph: Graph, node: Node, blockShape: number[]): number {
  return perSourceDecodes(graph, node, blockShape).reduce(
    (s, d) => s + d.decodes * d.chunkBytes,
    0,
  );
}

/** Bytes the blocks of a block shape read from sources, over the whole output (what is copied and computed). */
function readCost(graph: Graph, node: Node, blockShape: number[]): number {
  return perSourceSums(graph, node, blockShape, elements).reduce(
    (s, r) => s + r.sum * blockBytes(r.source, 1),
    0,
  );
}

/** The elements of the range [a, b) of a source dim (a `measure` of `perSourceSums`). */
function elements(_source: SourceNode, _j: number, a: number, b: number): number {
  return b - a;
}

function perSourceDecodes(graph: Graph, node: Node, blockShape: number[]) {
  return perSourceSums(graph, node, blockShape, overlap).map(({ source, sum }) => ({
    source,
    decodes: sum,
    chunkBytes: source.chunkShape.reduce((a, b) => a * b, blockBytes(source, 1)),
  }));
}

/**
 * For each source read under `node`, the sum over the blocks of `blockShape` of the product
 * over the source's dims of `measure` of the range the block reads (chunks overlapped,
 * elements). Every op maps dims independently, so the sum factorises per output dim: for each
 * output dim, walk its blocks alone (other dims whole) over the source dims it drives.
 */
function perSourceSums(graph: Graph, node: Node, blockShape: number[], measure: Measure) {
  const reads = sourceReads(graph, [node], fullBox(node.shape));
  const driven = reads.map((o) => o.source.dims.map(() => false));
  const perDim: number[][] = reads.map(() => []);
  node.dims.forEach((_, d) => {
    const { drives, sums } = dimSums(graph, node, d, blockShape[d], measure);
    reads.forEach((_o, k) => {
      drives[k].forEach((x, j) => x && (driven[k][j] = true));
      perDim[k].push(sums[k]);
    });
  });
  return reads.map((o, k) => {
    const fixed = o.source.dims.reduce(
      (p, _, j) => (driven[k][j] ? p : p * measure(o.source, j, o.box.start[j], o.box.stop[j])),
      1,
    );
    return { source: o.source, sum: perDim[k].reduce((p, x) => p * x, fixed) };
  });
}

type Measure = (source: SourceNode, j: number, a: number, b: number) => number;

/**
 * Along output dim `d` of `node` cut into blocks of `extent`: per source read, which source
 * dims the dim drives and the sum over the blocks of the product of `measure` over those dims
 * (the block count where it drives none). Memoised per graph: the candidates the planner weighs
 * share most of their extents, and walking a dim's blocks is its costliest step (a source of
 * 200,000 one-row chunks along a dim, weighed again for every candidate, kept the planner
 * busy for hours).
 */
function dimSums(
  graph: Graph,
  node: Node,
  d: number,
  extent: number,
  measure: Measure,
): { drives: boolean[][]; sums: number[] } {
  const byMeasure = dimSumsCache.get(graph) ?? dimSumsCache.set(graph, new Map()).get(graph)!;
  const byKey = byMeasure.get(measure) ?? byMeasure.set(measure, new Map()).get(measure)!;
  const key = `${node.id}|${d}|${extent}`;
  let found = byKey.get(key);
  if (!found) {
    const reads = sourceReads(graph, [node], fullBox(node.shape));
    const { blocks, drives } = distinctBlocks(graph, [node], d, extent);
    const sums = reads.map((o, k) =>
      blocks.reduce(
        (sum, b) =>
          sum +
          b.weight *
            o.source.dims.reduce(
              (p, _, j) =>
                drives[k][j]
                  ? p * measure(o.source, j, b.reads[k].box.start[j], b.reads[k].box.stop[j])
                  : p,
              1,
            ),
        0,
      ),
    );
    byKey.set(key, (found = { drives, sums }));
  }
  return found;
}

const dimSumsCache = new WeakMap<
  Graph,
  Map<Measure, Map<string, { drives: boolean[][]; sums: number[] }>>
>();

/**
 * A run reads each input chunk it needs at least once (finding it missing costs a file open),
 * about 10^5 a second: past 2^32 reads a run would take weeks, and a header claiming 2^52
 * one-element chunks would make a run that never ends. Describing such an array is fine
 * (nothing is allocated per chunk); computing over all of it is refused.
 */
const MAX_CHUNK_READS = 2 ** 32;

function countDecodes(
  graph: Graph,
  outputs: PlannedOutput[],
  groups: PlannedGroup[],
): DecodeCount[] {
  const bySource = new Map<string, DecodeCount>();
  for (const g of groups) {
    // a group's outputs fold the same input slabs: count a shared input once per group
    const seen = new Set<string>();
    const counts = g.split
      ? splitDecodes(graph, graph[outputs[g.outputs[0]].id] as ReduceNode, g)
      : g.outputs.flatMap((i) => perSourceDecodes(graph, graph[outputs[i].id], g.blockShape));
    for (const d of counts) {
      if (seen.has(d.source.id)) continue;
      seen.add(d.source.id);
      const name = sourceName(d.source);
      const chunks = d.source.shape.reduce((p, n, j) => p * overlap(d.source, j, 0, n), 1);
      const e = bySource.get(name) ?? { source: name, chunks, decodes: 0 };
      e.decodes += d.decodes;
      bySource.set(name, e);
    }
  }
  return [...bySource.values()];
}

/**
 * Decodes of a split reduction, counted task by task (split plans have few blocks): each part
 * reads the chunks its range of the split dim overlaps.
 */
function splitDecodes(
  graph: Graph,
  node: ReduceNode,
  g: PlannedGroup,
): { source: SourceNode; decodes: number }[] {
  const split = g.split!;
  const input = graph[node.input];
  const i = input.dims.indexOf(split.dim);
  const found = new Map<string, { source: SourceNode; decodes: number }>();
  const counts = g.blockCounts;
  const blocks = counts.reduce((a, b) => a * b, 1);
  for (let b = 0; b < blocks; b++) {
    const start = counts.map(
      (_, d) =>
        (Math.floor(b / counts.slice(d + 1).reduce((x, y) => x * y, 1)) % counts[d]) *
        g.blockShape[d],
    );
    const box: Box = {
      start,
      stop: start.map((s, d) => Math.min(node.shape[d], s + g.blockShape[d])),
    };
    for (let part = 0; part < split.parts; part++) {
      const inBox = inputBox(graph, node, node.input, box);
      inBox.start[i] = part * split.partExtent;
      inBox.stop[i] = Math.min(inBox.stop[i], inBox.start[i] + split.partExtent);
      visitBoxes(graph, input.id, inBox, (n, bx) => {
        if (n.op !== "source") return;
        const e = found.get(n.id) ?? { source: n, decodes: 0 };
        e.decodes += n.dims.reduce((p, _, j) => p * overlap(n, j, bx.start[j], bx.stop[j]), 1);
        found.set(n.id, e);
      });
    }
  }
  return [...found.values()];
}

/** A split of a root reduction into partial tasks when blocks are fewer than workers. */
function splitReduction(
  graph: Graph,
  roots: Node[],
  workers: number,
  blocks: number,
): PlannedGroup["split"] {
  const node = roots[0];
  if (node.op !== "reduce" || !canFoldTogether(roots)) return undefined;
  const input = graph[node.input];
  const dim = node.over.reduce((a, b) => (extent(input, a) >= extent(input, b) ? a : b));
  const n = extent(input, dim);
  const chunk = sourceChunk(graph, input, dim) ?? 1;
  const wanted = Math.ceil((2 * workers) / blocks);
  // parts are whole source chunks, so no chunk is read by two parts
  const partExtent =
    (input.op === "window" && memberPartExtent(graph, input, dim, wanted, workers, blocks)) ||
    Math.max(1, Math.ceil(Math.ceil(n / wanted) / chunk)) * chunk;
  const parts = Math.ceil(n / partExtent);
  return parts > 1 ? { dim, parts, partExtent } : undefined;
}

/**
 * Parts along the member dim of a group gather (`groupby`): members of one part are days of
 * every group (every month), so a part's reads depend on how member ranges fall on source
 * chunks along the grouped dim. Counts those reads for each number of parts up to `2 *
 * wanted` and takes the cheapest per worker busy — for months in years, whole years.
 */
function memberPartExtent(
  graph: Graph,
  input: WindowNode,
  dim: string,
  wanted: number,
  workers: number,
  blocks: number,
): number | undefined {
  const entry = Object.entries(input.windows).find(([, w]) => w.memberDim === dim && w.index);
  if (!entry) return undefined;
  const [inDim, w] = entry;
  const chunk = sourceChunk(graph, graph[input.input], inDim);
  const members = extent(input, dim);
  if (!chunk || !w.index) return undefined;
  let best: { extent: number; cost: number } | undefined;
  for (let parts = 2; parts <= Math.max(2, 2 * wanted); parts++) {
    const partExtent = Math.ceil(members / parts);
    if (Math.ceil(members / partExtent) !== parts) continue;
    const reads = new Set<number>();
    w.index.forEach((t, k) => {
      if (t >= 0)
        reads.add(Math.floor((k % members) / partExtent) * 2 ** 26 + Math.floor(t / chunk));
    });
    const cost = reads.size / Math.min(workers, parts * blocks);
    if (!best || cost < best.cost) best = { extent: partExtent, cost };
  }
  return best?.extent;
}

/** What was fused into each output: every node between it and its sources is computed per block. */
function fusionNotes(graph: Graph, node: Node, name: string): string[] {
  const ops: string[] = [];
  visitBoxes(graph, node.id, fullBox(node.shape), (n) => {
    if (n.op !== "source") ops.push(opName(n));
  });
  return ops.length > 1
    ? [`${name}: fused ${ops.reverse().join(" → ")} per block; no intermediate touches disk`]
    : [];
}
