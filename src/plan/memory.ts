import { itemSize } from "../array/dtype.js";
import { READ_CONCURRENCY } from "../array/read-box.js";
import { boxShape, boxSize, type Box } from "../core/box.js";
import { windowInputBox } from "../core/evaluate.js";
import { groupFoldOf, groupSlabSteps } from "../core/group-fold.js";
import {
  inputsOf,
  windowsOf,
  type Graph,
  type Node,
  type WindowAxis,
  type WindowNode,
} from "../core/graph.js";
import { histogramSlab } from "../core/kernels/histogram.js";
import { isWhole, reducer } from "../core/kernels/reductions.js";
import { blockBox, stepBoxes, taskAt, type Plan } from "./plan.js";
import { inputBox } from "./propagate.js";

/** A run of neighbouring chunks along the last dim that a task fills together for writing holds at most this. */
const WRITE_RUN_BYTES = 32 << 20;

/** How many chunks of `chunkBytes` a write run holds (one at least). */
export function chunksPerWriteRun(chunkBytes: number): number {
  return Math.max(1, Math.floor(WRITE_RUN_BYTES / chunkBytes));
}

/**
 * Encoded chunks of `chunkBytes` a task has on their way to the disk at once (see
 * exec/write-queue): up to 4 for chunks of a few MB (more keep the disk busy while the task
 * encodes), fewer for large chunks, at most WRITE_RUN_BYTES' worth past the first (each one
 * held is memory the plan must count), and never fewer than 2: one written while the next is
 * encoded.
 */
export function writesInFlight(chunkBytes: number): number {
  return Math.min(4, 1 + Math.max(1, Math.floor(WRITE_RUN_BYTES / chunkBytes)));
}

/**
 * Bytes a task holds besides its output blocks while writing them: a run of chunks being
 * filled (see WRITE_RUN_BYTES) and the encoded chunks being written (each at most as large).
 */
export function writeBytes(
  node: Node,
  blockShape: readonly number[],
  chunkShape: readonly number[],
): number {
  const chunk = blockBytes(
    node,
    chunkShape.reduce((a, b) => a * b, 1),
  );
  const n = chunkShape.length;
  const inRow = n === 0 ? 1 : Math.ceil(blockShape[n - 1] / chunkShape[n - 1]);
  return (Math.min(inRow, chunksPerWriteRun(chunk)) + writesInFlight(chunk)) * chunk;
}

/** Bytes a block of `n` elements of a node takes in the engine (int64 as float64). */
export function blockBytes(node: Node, n: number): number {
  return n * Math.max(itemSize(node.dtype), node.dtype.endsWith("64") ? 8 : 1);
}

/**
 * Peak bytes to evaluate `id` over `box`, following the evaluator: the output block, the
 * input blocks held while the kernel runs, broadcast/transpose copies, reduction states and
 * the chunks being decoded. It over-counts rather than under-counts: it is a promise.
 */
export function peakBytes(
  graph: Graph,
  id: string,
  box: Box,
  slabs: Record<string, Record<string, number>>,
): number {
  const node = graph[id];
  const out = blockBytes(node, boxSize(box));
  switch (node.op) {
    case "source": {
      const chunk = node.chunkShape.reduce((a, b) => a * b, 1) * blockBytes(node, 1);
      const touched = box.start.reduce(
        (n, s, d) => n * chunksOverlapped(node.chunkShape[d], node.shape[d], s, box.stop[d]),
        1,
      );
      // decoded chunks in flight, plus their compressed bytes (at most as large)
      return out + Math.min(READ_CONCURRENCY, touched) * chunk * 2;
    }
    case "map": {
      let held = 0;
      let transient = 0;
      for (const o of node.inputs) {
        if (!("node" in o)) continue;
        const b = inputBox(graph, node, o.node, box);
        const input = graph[o.node];
        const p = peakBytes(graph, o.node, b, slabs);
        const kept =
          blockBytes(input, boxSize(b)) +
          (input.dims.length !== node.dims.length ? blockBytes(input, boxSize(box)) : 0);
        transient = Math.max(transient, held + p);
        held += kept;
      }
      return Math.max(transient, held + out);
    }
    case "view": {
      const b = inputBox(graph, node, node.input, box);
      return out + peakBytes(graph, node.input, b, slabs);
    }
    case "window":
      return out + windowPeak(graph, node, box, slabs);
    case "reduce": {
      const input = graph[node.input];
      const r = reducer(node.fn);
      const full = inputBox(graph, node, node.input, box);
      const slab = slabBox(full, input.dims, slabs[node.id] ?? {});
      const state = isWhole(r) ? 0 : r.slots * 8 * boxSize(box);
      const groups = groupFoldOf(graph, node, input);
      if (groups) {
        // folded straight from the grouped array (core/group-fold): one slab of it at a time
        const steps = groupSlabSteps(
          groups,
          slabs[node.id]?.[node.over[0]] ?? input.shape[0],
          box.stop[0] - box.start[0],
        );
        const read: Box = {
          start: [0, ...box.start.slice(1)],
          stop: [Math.min(steps, groups.source.shape[0]), ...box.stop.slice(1)],
        };
        return out + state + peakBytes(graph, groups.source.id, read, slabs);
      }
      // a non-leading layout is transposed into a float64 copy
      const copy = boxSize(slab) * 8;
      return out + state + copy + peakBytes(graph, node.input, slab, slabs);
    }
  }
}

/**
 * The projected peak of task `k` of a plan: its outputs' blocks (of its largest step, for a
 * block computed in steps) with everything evaluating them holds, the chunk cache and the
 * scratch buffers. The plan promises that no task exceeds `plan.memory.perTask`.
 */
export function taskPeak(plan: Plan, k: number): number {
  const task = taskAt(plan, k);
  const outputs = plan.groups[task.group].outputs;
  const peaks = stepBoxes(plan, task.group, blockBox(plan, task.group, task.block)).map((box) =>
    outputs.reduce((sum, i) => sum + peakBytes(plan.graph, plan.outputs[i].id, box, plan.slabs), 0),
  );
  return Math.max(...peaks) + plan.memory.cacheBytes + plan.memory.scratchBytes;
}

/**
 * The most chunks of size `chunk` that a range as long as [a, b) can overlap, wherever it
 * starts in a dim of `length`: estimates then hold for every block of a plan, not only the
 * first. A range cannot straddle more chunks than the dim has (in an array of one chunk, one).
 */
function chunksOverlapped(chunk: number, length: number, a: number, b: number): number {
  return b <= a ? 0 : Math.min(Math.ceil((b - a - 1) / chunk) + 1, Math.ceil(length / chunk));
}

/** The first slab of `full`, with extents from `slab` (by dim name) where given. */
export function slabBox(full: Box, dims: readonly string[], slab: Record<string, number>): Box {
  const shape = boxShape(full);
  return {
    start: [...full.start],
    stop: full.start.map((s, i) => s + Math.min(shape[i], slab[dims[i]] ?? shape[i])),
  };
}

/**
 * Bytes a window node holds besides its output block: its input blocks, the kernel's
 * scratch, and what producing the inputs takes. Streaming kernels hold less than their
 * input box: a histogram one slab, a gather only the runs of indices its block needs.
 */
function windowPeak(
  graph: Graph,
  node: WindowNode,
  box: Box,
  slabs: Record<string, Record<string, number>>,
): number {
  let held = 0;
  let transient = 0;
  let scratch = 0;
  for (const id of inputsOf(node)) {
    const input = graph[id];
    const b = windowInputBox(node, input, box);
    const windows = windowsOf(node, id);
    const read =
      node.kernel === "histogram" || node.kernel === "polyfit" || node.kernel === "zonal"
        ? histogramSlabBox(b, input.dims, windows)
        : node.kernel === "gather"
          ? gatheredBox(node, input.dims, windows, b, box)
          : b;
    transient = Math.max(transient, held + peakBytes(graph, id, read, slabs));
    held += blockBytes(input, boxSize(read));
    // sweeps over several dims carry float64 values and counts, twice; user slices get a float64 copy
    if (node.kernel === "sweep" && Object.keys(windows).length > 1) scratch += 4 * 8 * boxSize(b);
    if (node.kernel === "user") scratch += 8 * (boxSize(b) + 2 * boxSize(box));
    // polyfit's normal-equation sums: 3·deg + 2 per series (the block may hold one degree)
    // zonal's counts, values and squared deviations per output element
    if (node.kernel === "zonal") scratch += 3 * 8 * boxSize(box);
    if (node.kernel === "polyfit") scratch += 8 * (3 * Number(node.params.deg) + 2) * boxSize(box);
  }
  return Math.max(transient, held + scratch);
}

function histogramSlabBox(b: Box, dims: readonly string[], windows: Record<string, unknown>): Box {
  const extents = histogramSlab(
    b,
    dims.map((d) => d in windows),
  );
  return { start: [...b.start], stop: b.start.map((s, i) => s + extents[i]) };
}

/**
 * What a gather holds of its input: along the dim it gathers through an index list, at most
 * one input index per output position (group × member) of the block — wherever the block's
 * members lie along the axis, so the bound holds for every slab of a streamed reduction.
 */
function gatheredBox(
  node: WindowNode,
  dims: readonly string[],
  windows: Record<string, WindowAxis>,
  b: Box,
  box: Box,
): Box {
  const a = dims.findIndex((d) => windows[d]?.index);
  if (a < 0) return b;
  const w = windows[dims[a]];
  const extent = (dim: string | undefined) =>
    dim ? box.stop[node.dims.indexOf(dim)] - box.start[node.dims.indexOf(dim)] : 1;
  const positions = extent(w.outDim) * extent(w.memberDim);
  const stop = [...b.stop];
  stop[a] = b.start[a] + Math.min(b.stop[a] - b.start[a], positions);
  return { start: [...b.start], stop };
}
