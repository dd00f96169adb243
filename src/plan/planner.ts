import { boxSize, fullBox, type Box } from "../core/box.js";
import { opName, type Graph, type Node, type ReduceNode, type SourceNode, type WindowNode } from "../core/graph.js";
import { isWhole, reducer } from "../core/kernels/reductions.js";
import { windowChunk } from "../core/kernels/window-axis.js";
import { MemoryBudgetError } from "../util/errors.js";
import { blockBytes, peakBytes, writeBytes } from "./memory.js";
import type { DecodeCount, OutputTarget, Plan, PlannedGroup, PlannedOutput } from "./plan.js";
import { inputBox, visitBoxes } from "./propagate.js";
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
/** What a task costs beyond its decodes (scheduling, opening, writing), in decode-bytes. */
const TASK_OVERHEAD = 1 << 20;
/**
 * Tasks with more memory than this cost more per byte: their buffers exceed the allocator's
 * reuse threshold (see util/malloc-tuning), so each is mapped and faulted in afresh, which
 * costs about as much as decoding it. Larger blocks must save that many decodes.
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
  for (let workers = req.workers; workers >= 1; workers = Math.floor(workers / 2)) {
    // a share of the budget too small for whole source chunks decodes each chunk many times
    // (or does not fit at all): fewer workers with larger shares can be much faster
    if (best && worstRedecodes(best) <= REDECODE_LIMIT) break;
    let p: Plan;
    try {
      p = planFor(req, workers);
    } catch (e) {
      if (!(e instanceof MemoryBudgetError)) throw e;
      refusal ??= e;
      continue;
    }
    if (!best || planCost(p) < planCost(best)) best = p;
  }
  if (!best) throw refusal;
  if (best.memory.workers < req.workers)
    best.notes.push(`${best.memory.workers} of ${req.workers} workers: with the budget shared by all, each task would decode source chunks many times (or not fit)`);
  return best;
}

/** Decodes per source chunk above which fewer, larger tasks are tried. */
const REDECODE_LIMIT = 2;

function worstRedecodes(plan: Plan): number {
  return Math.max(1, ...plan.decodes.map((d) => d.decodes / Math.max(1, d.chunks)));
}

/** A plan's running time in decodes per busy worker (decodes dominate reading runs). */
function planCost(plan: Plan): number {
  const decodes = plan.decodes.reduce((s, d) => s + d.decodes, 0);
  const tasks = plan.taskCounts.reduce((a, b) => a + b, 0);
  return decodes / Math.min(plan.memory.workers, Math.max(1, tasks));
}

function planFor(req: PlanRequest, workers: number): Plan {
  const { graph } = req;
  const outputs: PlannedOutput[] = req.outputs.map((o) => ({
    id: o.id,
    name: o.name,
    target: o.target,
    // in-memory results have no chunks to write: their unit is the source chunking, ungrown
    chunkShape: o.chunks ?? defaultChunks(graph, graph[o.id], o.target.kind === "memory" ? 0 : TARGET_CHUNK),
  }));
  // results returned in memory are held by the coordinator for the whole run
  const held = outputs.reduce((s, o) => s + (o.target.kind === "memory" ? blockBytes(graph[o.id], boxSize(fullBox(graph[o.id].shape))) : 0), 0);
  if (held >= req.memory)
    throw new MemoryBudgetError(
      `the result${outputs.length > 1 ? "s" : ""} to load (${formatBytes(held)}) would not fit the memory budget of ${formatBytes(req.memory)}: ` +
        `write to Zarr (-o / toZarr) instead, or raise --memory`,
    );
  const perWorker = Math.floor((req.memory - held) / workers);
  const cacheBytes = Math.min(MAX_CACHE, Math.floor(perWorker / 8));
  const scratchBytes = scratchShare(perWorker);
  const perTaskBudget = perWorker - cacheBytes - scratchBytes;
  const slabs: Record<string, Record<string, number>> = {};
  const notes: string[] = [];
  // outputs of one shape and chunking are computed together, one block of each per task
  const groups: PlannedGroup[] = [];
  const keyOf = (o: PlannedOutput) => JSON.stringify([graph[o.id].dims, graph[o.id].shape, o.chunkShape]);
  const byKey = new Map<string, number[]>();
  outputs.forEach((o, i) => byKey.set(keyOf(o), [...(byKey.get(keyOf(o)) ?? []), i]));
  let perTask = 0;
  for (const members of byKey.values()) {
    const roots = members.map((i) => graph[outputs[i].id]);
    const chunkShape = outputs[members[0]].chunkShape;
    const inMemory = members.every((i) => outputs[i].target.kind === "memory");
    const best = chooseBlocks(graph, roots, chunkShape, perTaskBudget, workers, slabs, inMemory);
    const node = roots[0];
    const blockCounts = node.shape.map((n, d) => Math.max(1, Math.ceil(n / best.blockShape[d])));
    const group: PlannedGroup = { outputs: members, blockShape: best.blockShape, blockCounts };
    const blocks = blockCounts.reduce((a, b) => a * b, 1);
    const split = blocks < workers ? splitReduction(graph, roots, workers, blocks) : undefined;
    const names = members.map((i) => outputs[i].name).join(", ");
    if (split) {
      group.split = split;
      notes.push(`${names}: ${blocks} block(s) for ${workers} workers: reduction split into ${split.parts} partial tasks along ${split.dim}, states combined`);
    }
    if (members.length > 1) notes.push(`${names}: computed together, one pass over their shared inputs`);
    perTask = Math.max(perTask, best.peak);
    groups.push(group);
    for (const r of roots) notes.push(...fusionNotes(graph, r, outputs[members[roots.indexOf(r)]].name));
  }
  const taskCounts = groups.map((g) => g.blockCounts.reduce((a, b) => a * b, 1) * (g.split?.parts ?? 1));
  const decodes = countDecodes(graph, outputs, groups);
  const total = (perTask + cacheBytes + scratchBytes) * workers + held;
  if (total > req.memory)
    throw new MemoryBudgetError(
      `the results to hold in memory (${formatBytes(held)}) and ${workers} task(s) of ${formatBytes(perTask + cacheBytes + scratchBytes)} ` +
        `need ${formatBytes(total)}, over the budget of ${formatBytes(req.memory)}: write to Zarr (-o) instead of loading, ` +
        `raise --memory, or use fewer --workers`,
    );
  return {
    graph,
    outputs,
    groups,
    slabs,
    taskCounts,
    memory: { budget: req.memory, workers, perTask: perTask + cacheBytes + scratchBytes, cacheBytes, scratchBytes, held, total },
    decodes,
    notes,
  };
}

/**
 * Output chunks when none are asked for: each dim inherits the chunk size of the source dim
 * it comes from, then leading dims grow until a chunk is about TARGET_CHUNK bytes.
 */
export function defaultChunks(graph: Graph, node: Node, target = TARGET_CHUNK): number[] {
  const chunks = node.dims.map((d, i) => Math.min(node.shape[i], sourceChunk(graph, node, d) ?? node.shape[i]) || 1);
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
  switch (node.op) {
    case "source":
      return node.chunkShape[node.dims.indexOf(dim)];
    case "map":
      for (const o of node.inputs)
        if ("node" in o && graph[o.node].dims.includes(dim)) {
          const c = sourceChunk(graph, graph[o.node], dim);
          if (c) return c;
        }
      return undefined;
    case "view": {
      const a = node.axes[node.dims.indexOf(dim)];
      if (!a) return undefined;
      const c = sourceChunk(graph, graph[node.input], a.inDim);
      return c ? Math.max(1, Math.floor(c / Math.abs(a.step))) : undefined;
    }
    case "reduce":
      return sourceChunk(graph, graph[node.input], dim);
    case "window": {
      const input = graph[node.input];
      return windowChunk(node, dim, (d) => extent(input, d), (d) => sourceChunk(graph, input, d));
    }
  }
}

interface Candidate {
  blockShape: number[];
  peak: number;
  cost: number;
}

/**
 * Picks the block shape (a multiple of the output chunk per dim) that minimises the decode
 * cost plus task overhead over the workers, among those whose projected peak fits the
 * per-task budget, growing greedily from one output chunk by the best doubling.
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
): Candidate {
  const node = roots[0];
  if (shrinkable) chunkShape = shrinkToFit(graph, roots, chunkShape, budget, slabs);
  const ids = roots.map((r) => r.id);
  const evaluateShape = (mult: number[]): Candidate | undefined => {
    const blockShape = chunkShape.map((c, d) => Math.min(node.shape[d], c * mult[d]) || 1);
    const box: Box = { start: blockShape.map(() => 0), stop: blockShape };
    const blocksHeld = roots.reduce((sum, r) => sum + blockBytes(r, boxSize(box)), 0);
    // written outputs: the blocks are held while a run of chunks is filled from them
    const writing = shrinkable ? 0 : blocksHeld + Math.max(...roots.map((r) => writeBytes(r, blockShape, chunkShape)));
    const peak = Math.max(fitSlabs(graph, ids, box, budget, slabs), writing);
    if (peak > budget) return undefined;
    const counts = node.shape.map((n, d) => Math.max(1, Math.ceil(n / blockShape[d])));
    const tasks = counts.reduce((a, b) => a * b, 1);
    const decodeBytes = roots.reduce((sum, r) => sum + decodeCost(graph, r, blockShape), 0);
    const cost = ((decodeBytes + tasks * TASK_OVERHEAD) / Math.min(workers, tasks)) * Math.max(1, peak / LARGE_TASK);
    return { blockShape, peak, cost };
  };
  const mult = chunkShape.map(() => 1);
  let best = evaluateShape(mult);
  if (!best) {
    const peak = fitSlabs(graph, ids, { start: chunkShape.map(() => 0), stop: chunkShape.map((c, d) => Math.min(c, node.shape[d])) }, budget, slabs);
    throw new MemoryBudgetError(
      `one output chunk [${chunkShape}] of ${node.dims.join("×")} needs ${formatBytes(peak)} per task ` +
        `(${whyLarge(graph, node)}), over ${formatBytes(budget)} per task (the budget over ${workers} worker(s)): ` +
        `raise --memory, use fewer --workers, or ask for smaller output chunks`,
    );
  }
  // each step doubles the dim that lowers the cost most: taking the first that lowers it at
  // all spends the memory on dims that save little (W3's rolling mean doubled lat before
  // time and kept 1.49 decodes per chunk; this way 1.25)
  for (;;) {
    let step: { d: number; c: Candidate } | undefined;
    for (let d = 0; d < mult.length; d++) {
      if (chunkShape[d] * mult[d] >= node.shape[d]) continue;
      const c = evaluateShape(mult.map((m, i) => (i === d ? m * 2 : m)));
      if (c && c.cost < (step?.c ?? best).cost * 0.98) step = { d, c };
    }
    if (!step) break;
    best = step.c;
    mult[step.d] *= 2;
  }
  fitSlabs(graph, ids, { start: best.blockShape.map(() => 0), stop: best.blockShape }, budget, slabs);
  return best;
}

/** Halves the largest dim of `shape` until a block of it fits `budget` (or it is all ones). */
function shrinkToFit(graph: Graph, roots: Node[], shape: number[], budget: number, slabs: Record<string, Record<string, number>>): number[] {
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
function whyLarge(graph: Graph, node: Node): string {
  for (const n of Object.values(graph))
    if (n.op === "reduce" && isWhole(reducer(n.fn)))
      return `${n.fn} needs the whole ${n.over.join(", ")} axis of each output element in memory`;
  return "its input blocks, broadcast copies and output";
}

/**
 * Shrinks the slabs of streamed reductions under `rootIds` until evaluating `box` fits
 * `budget`, aligning slab extents to source chunks; returns the resulting peak.
 */
function fitSlabs(graph: Graph, rootIds: string[], box: Box, budget: number, slabs: Record<string, Record<string, number>>): number {
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
  const peakOf = () => rootIds.reduce((sum, id) => sum + peakBytes(graph, id, box, slabs), 0);
  let peak = peakOf();
  while (peak > budget) {
    let shrunk = false;
    for (const r of reduces) {
      const input = graph[r.input];
      const s = (slabs[r.id] ??= {});
      // shrink the largest reduced dim's slab, to a multiple of its source chunk when possible
      const dim = r.over.reduce((a, b) => ((s[a] ?? extent(input, a)) >= (s[b] ?? extent(input, b)) ? a : b));
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
 * Decoded bytes over the whole output for a block shape. Every op maps dims independently,
 * so the count factorises per output dim: for each output dim, walk its blocks alone (other
 * dims whole) and multiply, per source, the chunks its driven dims overlap.
 */
function decodeCost(graph: Graph, node: Node, blockShape: number[]): number {
  return perSourceDecodes(graph, node, blockShape).reduce((s, d) => s + d.decodes * d.chunkBytes, 0);
}

function perSourceDecodes(graph: Graph, node: Node, blockShape: number[]) {
  const full = fullBox(node.shape);
  const occurrences: { source: SourceNode; box: Box }[] = [];
  visitBoxes(graph, node.id, full, (n, b) => {
    if (n.op === "source") occurrences.push({ source: n, box: b });
  });
  const factors = occurrences.map((o) => o.source.dims.map((_, j) => overlap(o.source, j, o.box.start[j], o.box.stop[j])));
  const driven = occurrences.map((o) => o.source.dims.map(() => -1));
  const perDim: number[][] = occurrences.map(() => []);
  node.dims.forEach((_, d) => {
    const sums = occurrences.map(() => 0);
    const count = Math.ceil(node.shape[d] / blockShape[d]);
    for (let b = 0; b < count; b++) {
      const box: Box = { start: [...full.start], stop: [...full.stop] };
      box.start[d] = b * blockShape[d];
      box.stop[d] = Math.min(node.shape[d], box.start[d] + blockShape[d]);
      let k = 0;
      visitBoxes(graph, node.id, box, (n, bx) => {
        if (n.op !== "source") return;
        const o = occurrences[k];
        let prod = 1;
        n.dims.forEach((_, j) => {
          if (bx.start[j] !== o.box.start[j] || bx.stop[j] !== o.box.stop[j]) {
            driven[k][j] = d;
            prod *= overlap(n, j, bx.start[j], bx.stop[j]);
          }
        });
        sums[k] += prod;
        k++;
      });
    }
    occurrences.forEach((_, k) => perDim[k].push(driven[k].includes(d) ? sums[k] : count));
  });
  return occurrences.map((o, k) => {
    const fixed = factors[k].reduce((p, f, j) => (driven[k][j] < 0 ? p * f : p), 1);
    const decodes = perDim[k].reduce((p, s) => p * s, fixed);
    const chunkBytes = o.source.chunkShape.reduce((a, b) => a * b, blockBytes(o.source, 1));
    return { source: o.source, decodes, chunkBytes };
  });
}

/** Chunks of source dim `j` that the range [a, b) overlaps. */
function overlap(source: SourceNode, j: number, a: number, b: number): number {
  if (b <= a) return 0;
  const sizes = source.chunkSizes?.[j];
  if (!sizes) {
    const c = source.chunkShape[j];
    return Math.floor((b - 1) / c) - Math.floor(a / c) + 1;
  }
  let n = 0;
  for (let i = 0, s = 0; i < sizes.length && s < b; s += sizes[i++]) if (s + sizes[i] > a) n++;
  return n;
}

function countDecodes(graph: Graph, outputs: PlannedOutput[], groups: PlannedGroup[]): DecodeCount[] {
  const bySource = new Map<string, DecodeCount>();
  for (const g of groups) {
    // a group's outputs fold the same input slabs: count a shared input once per group
    const seen = new Set<string>();
    const counts = g.split ? splitDecodes(graph, graph[outputs[g.outputs[0]].id] as ReduceNode, g) : g.outputs.flatMap((i) => perSourceDecodes(graph, graph[outputs[i].id], g.blockShape));
    for (const d of counts) {
      if (seen.has(d.source.id)) continue;
      seen.add(d.source.id);
      const name = d.source.ref.kind === "dataset" ? `${d.source.ref.url}:${d.source.ref.variable}` : d.source.ref.key;
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
function splitDecodes(graph: Graph, node: ReduceNode, g: PlannedGroup): { source: SourceNode; decodes: number }[] {
  const split = g.split!;
  const input = graph[node.input];
  const i = input.dims.indexOf(split.dim);
  const found = new Map<string, { source: SourceNode; decodes: number }>();
  const counts = g.blockCounts;
  const blocks = counts.reduce((a, b) => a * b, 1);
  for (let b = 0; b < blocks; b++) {
    const start = counts.map((_, d) => (Math.floor(b / counts.slice(d + 1).reduce((x, y) => x * y, 1)) % counts[d]) * g.blockShape[d]);
    const box: Box = { start, stop: start.map((s, d) => Math.min(node.shape[d], s + g.blockShape[d])) };
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
function splitReduction(graph: Graph, roots: Node[], workers: number, blocks: number): PlannedGroup["split"] {
  const node = roots[0];
  if (node.op !== "reduce" || !canFoldTogether(roots)) return undefined;
  const input = graph[node.input];
  const dim = node.over.reduce((a, b) => (extent(input, a) >= extent(input, b) ? a : b));
  const n = extent(input, dim);
  const chunk = sourceChunk(graph, input, dim) ?? 1;
  const wanted = Math.ceil((2 * workers) / blocks);
  // parts are whole source chunks, so no chunk is read by two parts
  const partExtent = (input.op === "window" && memberPartExtent(graph, input, dim, wanted, workers, blocks)) || Math.max(1, Math.ceil(Math.ceil(n / wanted) / chunk)) * chunk;
  const parts = Math.ceil(n / partExtent);
  return parts > 1 ? { dim, parts, partExtent } : undefined;
}

/**
 * Parts along the member dim of a group gather (`groupby`): members of one part are days of
 * every group (every month), so a part's reads depend on how member ranges fall on source
 * chunks along the grouped dim. Counts those reads for each number of parts up to `2 *
 * wanted` and takes the cheapest per worker busy — for months in years, whole years.
 */
function memberPartExtent(graph: Graph, input: WindowNode, dim: string, wanted: number, workers: number, blocks: number): number | undefined {
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
      if (t >= 0) reads.add(Math.floor((k % members) / partExtent) * 2 ** 26 + Math.floor(t / chunk));
    });
    const cost = reads.size / Math.min(workers, parts * blocks);
    if (!best || cost < best.cost) best = { extent: partExtent, cost };
  }
  return best?.extent;
}

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

/** What was fused into each output: every node between it and its sources is computed per block. */
function fusionNotes(graph: Graph, node: Node, name: string): string[] {
  const ops: string[] = [];
  visitBoxes(graph, node.id, fullBox(node.shape), (n) => {
    if (n.op !== "source") ops.push(opName(n));
  });
  return ops.length > 1 ? [`${name}: fused ${ops.reverse().join(" → ")} per block; no intermediate touches disk`] : [];
}
