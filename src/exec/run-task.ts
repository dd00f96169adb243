import type { BlockPool, BlockScope } from "../array/block-pool.js";
import { ChunkCache } from "../array/chunk-cache.js";
import type { ChunkedArray, WritableChunkedArray } from "../array/chunked-array.js";
import { copyBox, copyBoxToParts } from "../array/copy-box.js";
import type { NumberArray } from "../array/dtype.js";
import { boxShape, boxSize, overlapsAny, type Box } from "../core/box.js";
import { evaluate, foldReduce, reduceInputBox, type EvalContext } from "../core/evaluate.js";
import { sourceReads } from "../plan/propagate.js";
import { reducer, type Reducer } from "../core/kernels/reductions.js";
import { canFoldTogether } from "../core/fold-together.js";
import {
  collect,
  inputsOf,
  type Graph,
  type Node,
  type ReduceNode,
  type SourceNode,
} from "../core/graph.js";
import { engineAllocate, toStorageArray } from "../core/kernels/numeric.js";
import { blockBytes, chunksPerWriteRun, writesInFlight } from "../plan/memory.js";
import {
  blockBox,
  stepBoxes,
  taskAt,
  type OutputTarget,
  type Plan,
  type Task,
} from "../plan/plan.js";
import { cores, codecsInPool, useCodecPool } from "../util/codec-threads.js";
import { limitScratch } from "../util/scratch-buffers.js";
import { trimMalloc } from "../util/malloc-tuning.js";
import { collectGarbage } from "./collect-garbage.js";
import { countWhileRunning, type LiveCounts } from "./live-counts.js";
import { WriteQueue } from "./write-queue.js";

/** What a worker needs besides the plan: how to open sources and output targets. */
export interface TaskEnvironment {
  openSource(node: SourceNode): Promise<ChunkedArray>;
  openTarget(target: OutputTarget, output: number): Promise<WritableChunkedArray>;
  /** Buffers of finished tasks' blocks, reused by the next ones (one pool per thread or run). */
  blocks?: BlockPool;
  /** Where a running task adds what it reads, writes and decodes as it goes (the run's progress). */
  live?: LiveCounts;
}

/** What a task reports back. */
export interface TaskResult {
  task: number;
  bytesRead: number;
  bytesWritten: number;
  decodes: number;
  /** The most bytes of input chunks the task's cache kept at once (within the plan's projection). */
  cachePeak?: number;
  /** The block of each of the group's outputs that goes back to the caller (else undefined). */
  data?: (NumberArray | undefined)[];
  /** Partial reduction states per output, for a part of a split reduction. */
  states?: Float64Array[][];
}

/**
 * Runs task `k` of `plan`: evaluates its block of each output of its group (every node
 * between an output and the sources, fused, in memory) and writes each output chunk of the
 * block whole, once — or returns the block (in-memory outputs) or partial states (split
 * reductions).
 */
export async function runTask(plan: Plan, k: number, env: TaskEnvironment): Promise<TaskResult> {
  enterStage(plan, env.blocks);
  // a plan on fewer workers than cores leaves its zstd work to the idle ones
  useCodecPool(plan.memory.workers < cores());
  const task = taskAt(plan, k);
  const group = plan.groups[task.group];
  // a stepped block's cache keeps only chunks later steps read, projected as they are: it evicts
  // none (under reads in flight it would evict those the step has yet to read)
  const ctx = evalContext(plan.graph, plan, env, group.steps !== undefined);
  const result: TaskResult = { task: k, bytesRead: 0, bytesWritten: 0, decodes: 0 };
  const chunkBytes = Math.max(
    0,
    ...group.outputs.map((i) =>
      blockBytes(
        plan.graph[plan.outputs[i].id],
        plan.outputs[i].chunkShape.reduce((a, b) => a * b, 1),
      ),
    ),
  );
  const writes = new WriteQueue(writesInFlight(chunkBytes));
  const stopCounting =
    env.live &&
    countWhileRunning(env.live, () => ({
      bytesRead: ctx.stats.bytesRead,
      bytesWritten: result.bytesWritten,
      decodes: ctx.cache.decodes,
    }));
  try {
    await computeTask(plan, task, env, ctx, result, writes);
    await writes.drain();
  } catch (e) {
    await writes.settle(); // no write of a failed task lands after it is reported
    throw e;
  } finally {
    stopCounting?.();
  }
  result.bytesRead = ctx.stats.bytesRead;
  result.decodes = ctx.cache.decodes;
  result.cachePeak = ctx.cache.peakBytes;
  // the task's blocks are dead now (chunks are written), but for the results it hands back
  ctx.blocks?.end(result.data ?? []);
  return result;
}

/** Computes a task's blocks and starts writing them (or keeps them, or its partial states, in `result`). */
async function computeTask(
  plan: Plan,
  task: Task,
  env: TaskEnvironment,
  ctx: EvalContext,
  result: TaskResult,
  writes: WriteQueue,
): Promise<void> {
  const group = plan.groups[task.group];
  const box = blockBox(plan, task.group, task.block);
  const roots = group.outputs.map((i) => plan.graph[plan.outputs[i].id]);
  if (canFoldTogether(roots)) {
    const input = plan.graph[roots[0].input];
    const inBox = reduceInputBox(roots[0], input, box);
    if (group.split && task.part !== undefined) {
      const i = input.dims.indexOf(group.split.dim);
      inBox.start[i] = task.part * group.split.partExtent;
      inBox.stop[i] = Math.min(inBox.stop[i], inBox.start[i] + group.split.partExtent);
    }
    const states = await foldReduce(ctx, roots, box, inBox);
    if (group.split) result.states = states;
    else {
      const blocks = roots.map((r, j) => finalizeState(r, states[j], boxSize(box)));
      await deliver(plan, group.outputs, blocks, box, env, result, ctx.blocks, writes);
    }
    return;
  }
  const computeBox = async (b: Box) => {
    const blocks: NumberArray[] = [];
    for (const r of roots) blocks.push(await evaluate(ctx, r.id, b));
    await deliver(plan, group.outputs, blocks, b, env, result, ctx.blocks, writes);
  };
  if (!group.steps) return computeBox(box);
  for (const step of stepBoxes(plan, task.group, box)) {
    await prepareStep(ctx, roots, box, step);
    const later = ctx.retain ?? new Map<string, Box[]>();
    const cut = chunkPieces(plan, group.outputs, step);
    const pieces =
      cut.length > 1 && (await piecesFit(plan, ctx, roots, cut, later, writes.inFlight))
        ? cut
        : [step];
    const piecesReads = pieces.map((p) => readsOf(ctx, roots, p));
    for (const [i, piece] of pieces.entries()) {
      // the chunks this piece reads stay for the pieces after it in the step, and the steps after
      ctx.retain = new Map(later);
      for (const reads of piecesReads.slice(i + 1))
        for (const [id, boxes] of reads)
          ctx.retain.set(id, [...(ctx.retain.get(id) ?? []), ...boxes]);
      const mark = ctx.blocks?.mark() ?? 0;
      await computeBox(piece);
      // the piece is encoded: its blocks serve the next one
      ctx.memo.clear();
      ctx.blocks?.end([], mark);
    }
  }
}

/**
 * The boxes a step is computed in: its output chunks one by one when every output is computed
 * point by point from its sources (maps only) and written in chunks of one shape — each chunk
 * is then encoded from the block it was computed in, never copied out of a step-sized one
 * — else the step whole. Steps of more than `MAX_PIECES` chunks go whole:
 * each piece's retention lists the reads of the pieces after it.
 */
function chunkPieces(plan: Plan, outputs: number[], step: Box): Box[] {
  const targets = outputs.map((i) => plan.outputs[i]);
  const chunkShape = targets[0].chunkShape;
  if (
    targets.some(
      (o) => o.target.kind === "memory" || o.chunkShape.some((c, d) => c !== chunkShape[d]),
    )
  )
    return [step];
  const reached = collect(
    targets.map((o) => plan.graph[o.id]),
    (id) => plan.graph[id],
  );
  // element i of each input makes element i of the output
  if (Object.values(reached).some((n) => n.op !== "map" && n.op !== "source")) return [step];
  const { first, last } = chunkRange(step, chunkShape);
  if (last.reduce((p, l, d) => p * (l - first[d]), 1) > MAX_PIECES) return [step];
  const pieces: Box[] = [];
  for (const run of chunkRuns(first, last, 1)) {
    const start = run[0].map((c, d) => Math.max(step.start[d], c * chunkShape[d]));
    pieces.push({
      start,
      stop: run[0].map((c, d) => Math.min(step.stop[d], (c + 1) * chunkShape[d])),
    });
  }
  return pieces;
}

const MAX_PIECES = 64;

/**
 * Whether computing `pieces` of a step one by one keeps the task within its projected memory.
 * A whole step's read uses up the chunks kept for it before it decodes those kept for later
 * steps (`readBox`), as the plan's projection counts (`retainedBytes`); pieces read in their
 * own order and keep what the pieces after them read too, so they may hold more (where a step
 * passes from one column of chunks to the next). Walks the pieces as the cache
 * will (a chunk stays from its first read by a piece to its last, or on if a later step reads
 * it) and compares the most it holds, with the blocks of the pieces in flight, to the projection.
 */
async function piecesFit(
  plan: Plan,
  ctx: EvalContext,
  roots: Node[],
  pieces: Box[],
  later: Map<string, Box[]>,
  writesInFlight: number,
): Promise<boolean> {
  const lastRead = new Map<string, number>();
  const bytesOf = new Map<string, number>();
  const keptLater = new Set<string>();
  const held = new Set<string>();
  const reads: string[][] = [];
  for (const [i, piece] of pieces.entries()) {
    const keys: string[] = [];
    for (const [id, boxes] of readsOf(ctx, roots, piece)) {
      const node = ctx.graph[id] as SourceNode;
      const array = await ctx.openSource(node);
      for (const b of boxes)
        for (const c of array.chunks.overlapping(b.start, b.stop)) {
          const key = `${id}|${c}`;
          keys.push(key);
          lastRead.set(key, i);
          if (bytesOf.has(key)) continue;
          bytesOf.set(
            key,
            blockBytes(
              node,
              array.chunks.chunkExtent(c).reduce((p, e) => p * e, 1),
            ),
          );
          if (overlapsAny(array.chunks.chunkBox(c), later.get(id) ?? [])) keptLater.add(key);
          if (ctx.cache.has(array, c)) held.add(key);
        }
    }
    reads.push(keys);
  }
  // pieces encoded in the background hold their blocks until the encode is done
  const holders = codecsInPool() ? 1 + writesInFlight : 1;
  const blocks =
    holders *
    Math.max(...pieces.map((p) => roots.reduce((sum, r) => sum + blockBytes(r, boxSize(p)), 0)));
  const room = plan.memory.perTask - plan.memory.scratchBytes - blocks;
  let bytes = ctx.cache.keptBytes;
  for (const [i, keys] of reads.entries()) {
    for (const key of keys)
      if (!held.has(key) && (keptLater.has(key) || lastRead.get(key)! > i)) {
        held.add(key);
        bytes += bytesOf.get(key)!;
      }
    if (bytes > room) return false;
    for (const key of keys)
      if (held.has(key) && !keptLater.has(key) && lastRead.get(key) === i) {
        held.delete(key);
        bytes -= bytesOf.get(key)!;
      }
  }
  return true;
}

/** The chunks of `chunkShape` that `box` overlaps: their coordinates from `first` to `last` (exclusive). */
function chunkRange(box: Box, chunkShape: readonly number[]): { first: number[]; last: number[] } {
  return {
    first: box.start.map((s, d) => Math.floor(s / chunkShape[d])),
    last: box.stop.map((s, d) => Math.ceil(s / chunkShape[d])),
  };
}

/** The part of a stepped block `box` after `step` (with the step too, if `from`), empty after the last step. */
function restOf(box: Box, step: Box, from = false): Box {
  const d = step.stop.findIndex((s, i) => s !== box.stop[i] || step.start[i] !== box.start[i]);
  const rest = { start: [...box.start], stop: [...box.stop] };
  if (d >= 0) rest.start[d] = from ? step.start[d] : step.stop[d];
  else if (!from) rest.stop = [...rest.start];
  return rest;
}

/** The boxes of each source (by node id) that evaluating `roots` over `box` reads. */
function readsOf(ctx: EvalContext, roots: Node[], box: Box): Map<string, Box[]> {
  const reads = new Map<string, Box[]>();
  if (boxSize(box) > 0)
    for (const { source, box: b } of sourceReads(ctx.graph, roots, box))
      reads.set(source.id, [...(reads.get(source.id) ?? []), b]);
  return reads;
}

/**
 * Before a step of a stepped block: drops the cached chunks that neither this step nor the
 * ones after it read, and tells the evaluator which boxes of each source the steps after it
 * read (`EvalContext.retain`): the chunks those overlap are kept, the others leave once read.
 */
async function prepareStep(ctx: EvalContext, roots: Node[], box: Box, step: Box): Promise<void> {
  const needed = new Map<object, Box[]>();
  for (const [id, boxes] of readsOf(ctx, roots, restOf(box, step, true)))
    needed.set(await ctx.openSource(ctx.graph[id] as SourceNode), boxes);
  ctx.cache.retainOnly((array, coords) => {
    const chunk = (array as ChunkedArray).chunks.chunkBox(coords);
    return overlapsAny(chunk, needed.get(array) ?? []);
  });
  ctx.retain = readsOf(ctx, roots, restOf(box, step));
}

/** The blocks and memory shape of the plan this thread last ran a task of. */
let stage: string | undefined;

/**
 * On a thread's first task of another plan (the next stage of a rechunk, the next run), the
 * buffers kept for the last plan's block and chunk sizes go back, down to the allocator:
 * kept beside the new plan's they would make a thread hold two stages' memory.
 */
function enterStage(plan: Plan, blocks: BlockPool | undefined): void {
  const key = JSON.stringify([
    plan.groups.map((g) => g.blockShape),
    plan.outputs.map((o) => o.chunkShape),
    plan.memory,
  ]);
  if (key === stage) return;
  if (stage !== undefined) {
    blocks?.shrink(0);
    limitScratch(0);
    collectGarbage();
    trimMalloc();
  }
  stage = key;
}

/** The finished values of a reduction from its folded state. */
export function finalizeState(node: ReduceNode, state: Float64Array[], size: number): NumberArray {
  const out = engineAllocate(node.dtype, size);
  (reducer(node.fn) as Reducer).finalize(state, out, node.params);
  return out;
}

/** Writes each output's block to its target, or keeps it in `result.data` for the caller. */
export async function deliver(
  plan: Plan,
  outputs: number[],
  data: NumberArray[],
  box: Box,
  env: TaskEnvironment,
  result: Pick<TaskResult, "data" | "bytesWritten">,
  blocks?: BlockScope,
  writes?: WriteQueue,
): Promise<void> {
  for (let j = 0; j < outputs.length; j++) {
    const out = plan.outputs[outputs[j]];
    if (out.target.kind === "memory") {
      result.data ??= outputs.map(() => undefined);
      result.data[j] = data[j];
    } else
      result.bytesWritten += await writeBlock(
        await env.openTarget(out.target, outputs[j]),
        out.chunkShape,
        box,
        data[j],
        blocks,
        writes,
      );
  }
}

/** A fresh evaluation context for one task. */
export function evalContext(
  graph: Graph,
  plan: Plan,
  env: TaskEnvironment,
  stepped = false,
): EvalContext {
  // the chunks a stepped task kept serve its next decodes once used up: the pool may hold what
  // the cache gave up (a plain task's cache gives its chunks up at its end, past its projection)
  limitScratch(plan.memory.scratchBytes + (stepped ? plan.memory.cacheBytes : 0));
  const opened = new Map<string, Promise<ChunkedArray>>();
  return {
    graph,
    openSource(node) {
      let p = opened.get(node.id);
      if (!p) opened.set(node.id, (p = env.openSource(node)));
      return p;
    },
    cache: new ChunkCache(stepped ? Infinity : plan.memory.cacheBytes),
    slabs: plan.slabs,
    shared: sharedNodes(graph),
    memo: new Map(),
    stats: { bytesRead: 0 },
    // the pool keeps at most what a task allocates besides its chunk cache and scratch buffers
    blocks: env.blocks?.scope(
      plan.memory.perTask - plan.memory.cacheBytes - plan.memory.scratchBytes,
    ),
  };
}

/** Nodes read by more than one consumer (identical sub-expressions): evaluated once per box. */
function sharedNodes(graph: Graph): Set<string> {
  const uses = new Map<string, number>();
  for (const n of Object.values(graph))
    for (const i of new Set(inputsOf(n))) uses.set(i, (uses.get(i) ?? 0) + 1);
  return new Set([...uses].filter(([, c]) => c > 1).map(([id]) => id));
}

/**
 * Writes every output chunk inside `box` from the block `data`; returns the bytes written.
 * Chunks are filled a run at a time (neighbours along the last dim, see `chunksPerWriteRun`),
 * from whole rows of the block (see `copyBoxToParts`), then encoded and written one by one.
 */
export async function writeBlock(
  target: WritableChunkedArray,
  chunkShape: number[],
  box: Box,
  data: NumberArray,
  blocks?: BlockScope,
  /** Where the chunk writes go on in the background (else each is awaited). */
  writes?: WriteQueue,
): Promise<number> {
  const shape = boxShape(box);
  const { first, last } = chunkRange(box, chunkShape);
  const chunkBytes = chunkShape.reduce((a, b) => a * b, data.BYTES_PER_ELEMENT);
  const parts: NumberArray[] = []; // reused from run to run where the size is the same
  let bytes = 0;
  // each chunk is encoded while the ones before it are being written (writes past the page
  // cache wait on the disk); what it was encoded from can be refilled once it is encoded
  const put = async (coords: number[], values: NumberArray, ofBlock = false) => {
    const stored = toStorageArray(values, target.dtype);
    if (writes && target.encodeChunk && ofBlock && blocks && codecsInPool()) {
      // encoded in the thread pool while this thread goes on; the block's buffer goes back to
      // the pool only once the encode is done
      const encoding = target.encodeChunk(coords, stored);
      encoding.catch(() => undefined); // its failure is the write's, reported by the queue
      blocks.holdUntil(stored.buffer, encoding);
      await writes.add(async () => (await encoding)());
    } else if (writes && target.encodeChunk)
      await writes.add(await target.encodeChunk(coords, stored));
    else await target.writeChunk(coords, stored);
    bytes += stored.byteLength;
  };
  for (const run of chunkRuns(first, last, chunksPerWriteRun(chunkBytes))) {
    const boxes = run.map((c) => target.chunks.chunkBox(c));
    const from = boxes[0].start.map((s, d) => s - box.start[d]);
    const extent = boxShape(boxes[0]);
    // a chunk that is one stretch of the block (whole but along the leading dims) is encoded from it, uncopied
    const at = run.length === 1 ? contiguousOffset(shape, from, extent) : undefined;
    if (at !== undefined) {
      await put(run[0], data.subarray(at, at + boxSize(boxes[0])), true);
      continue;
    }
    boxes.forEach((b, p) => {
      if (parts[p]?.length !== boxSize(b))
        parts[p] = engineAllocate(target.dtype, boxSize(b), blocks, false);
    });
    if (run.length === 1)
      copyBox(
        data,
        shape,
        from,
        parts[0],
        extent,
        extent.map(() => 0),
        extent,
      );
    else {
      const widths = boxes.map((b) => b.stop[b.stop.length - 1] - b.start[b.start.length - 1]);
      extent[extent.length - 1] = widths.reduce((a, b) => a + b, 0);
      copyBoxToParts(data, shape, from, extent, parts.slice(0, run.length), widths);
    }
    for (const [p, coords] of run.entries()) await put(coords, parts[p]);
  }
  return bytes;
}

/**
 * Where the box at `from` of `extent` starts in a C-order block of `shape`, if its elements
 * are one stretch of the block's: of extent 1 along the dims before some dim, whole along
 * the dims after it.
 */
export function contiguousOffset(
  shape: readonly number[],
  from: readonly number[],
  extent: readonly number[],
): number | undefined {
  let d = 0;
  while (d < shape.length - 1 && extent[d] === 1) d++;
  for (let j = d + 1; j < shape.length; j++) if (extent[j] !== shape[j]) return undefined;
  let at = 0;
  for (let j = 0; j < shape.length; j++) at = at * shape[j] + from[j];
  return at;
}

/**
 * The chunk coordinates from `first` to `last` (exclusive) in C order, in runs of at most
 * `perRun` neighbours along the last dim.
 */
export function* chunkRuns(first: number[], last: number[], perRun: number): Generator<number[][]> {
  const n = first.length;
  if (n === 0) {
    yield [[]];
    return;
  }
  const lead = first.slice(0, -1);
  for (;;) {
    for (let c = first[n - 1]; c < last[n - 1]; c += perRun)
      yield Array.from({ length: Math.min(perRun, last[n - 1] - c) }, (_, k) => [...lead, c + k]);
    let d = n - 2;
    for (; d >= 0; d--) {
      if (++lead[d] < last[d]) break;
      lead[d] = first[d];
    }
    if (d < 0) return;
  }
}
