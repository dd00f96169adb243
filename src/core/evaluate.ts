import type { BlockScope } from "../array/block-pool.js";
import type { ChunkCache } from "../array/chunk-cache.js";
import type { ChunkedArray } from "../array/chunked-array.js";
import { stridesOf } from "../array/copy-box.js";
import type { NumberArray } from "../array/dtype.js";
import { readBox } from "../array/read-box.js";
import { boxKey, boxShape, boxSize, type Box } from "./box.js";
import { broadcastTo, gather, stridesFor } from "./gather.js";
import {
  inputsOf,
  windowsOf,
  type Graph,
  type MapNode,
  type Node,
  type ReduceNode,
  type SourceNode,
  type ViewNode,
  type WindowNode,
} from "./graph.js";
import { foldGroups, groupFoldOf, groupSlabSteps } from "./group-fold.js";
import { elementwise, type Arg } from "./kernels/elementwise.js";
import { engineAllocate, engineClass, toEngineArray } from "./kernels/numeric.js";
import { isWhole, reducer, type Reducer } from "./kernels/reductions.js";
import { axisInputRange } from "./kernels/window-axis.js";
import { windowKernel, type WindowBlock } from "./kernels/window-kernels.js";

/** What evaluating blocks of a graph needs: the graph, its opened sources, a chunk cache. */
export interface EvalContext {
  graph: Graph;
  /** Opens (once) the array behind a source node. */
  openSource(node: SourceNode): Promise<ChunkedArray>;
  cache: ChunkCache;
  /** Slab extents per reduce node and reduced dim, chosen by the planner to fit memory. */
  slabs: Record<string, Record<string, number>>;
  /** Node ids read by more than one consumer: their blocks are kept for the task (CSE). */
  shared: Set<string>;
  memo: Map<string, Promise<NumberArray>>;
  stats: { bytesRead: number };
  /** Where the task's blocks come from (reused buffers), if anywhere. */
  blocks?: BlockScope;
  /**
   * In a task computed in steps, the boxes of each source (by node id) that the steps after
   * this one read: their chunks stay in the cache, the others leave it once read.
   */
  retain?: Map<string, Box[]>;
}

/** Computes `node` over `box` (in the node's dims order), C order. */
export function evaluate(ctx: EvalContext, id: string, box: Box): Promise<NumberArray> {
  if (!ctx.shared.has(id)) return evaluateNode(ctx, ctx.graph[id], box);
  const key = `${id}|${boxKey(box)}`;
  let p = ctx.memo.get(key);
  if (!p) {
    p = evaluateNode(ctx, ctx.graph[id], box);
    ctx.memo.set(key, p);
  }
  return p;
}

function evaluateNode(ctx: EvalContext, node: Node, box: Box): Promise<NumberArray> {
  switch (node.op) {
    case "source":
      return evaluateSource(ctx, node, box);
    case "map":
      return evaluateMap(ctx, node, box);
    case "view":
      return evaluateView(ctx, node, box);
    case "reduce":
      return evaluateReduce(ctx, node, box);
    case "window":
      return evaluateWindow(ctx, node, box);
  }
}

async function evaluateSource(ctx: EvalContext, node: SourceNode, box: Box): Promise<NumberArray> {
  const array = await ctx.openSource(node);
  const retain = ctx.retain && (ctx.retain.get(node.id) ?? []);
  const data = await readBox(array, box.start, box.stop, {
    cache: ctx.cache,
    blocks: ctx.blocks,
    retain,
  });
  ctx.stats.bytesRead += data.byteLength;
  return toEngineArray(data);
}

async function evaluateMap(ctx: EvalContext, node: MapNode, box: Box): Promise<NumberArray> {
  const shape = boxShape(box);
  const size = boxSize(box);
  const args: Arg[] = [];
  let into: NumberArray | undefined;
  for (const operand of node.inputs) {
    if ("scalar" in operand) {
      args.push(operand.scalar);
      continue;
    }
    const input = ctx.graph[operand.node];
    const inBox = projectBox(node.dims, box, input.dims);
    const data = await evaluate(ctx, input.id, inBox);
    const arg = broadcastTo(data, input.dims, boxShape(inBox), node.dims, shape);
    args.push(arg);
    // a block of this task's that nothing else reads (not a shared node's, not a cached chunk)
    // takes the result in place: element i of the result needs element i of each input only
    if (
      !into &&
      arg === data &&
      !ctx.shared.has(input.id) &&
      arg.constructor === engineClass(node.dtype) &&
      arg.length === size &&
      ctx.blocks?.owns(arg)
    )
      into = arg;
  }
  // written whole by the kernel: a reused buffer needs no zeroing
  const out = into ?? engineAllocate(node.dtype, size, ctx.blocks, false);
  elementwise(node.fn).run(out, args);
  return out;
}

/** The part of `box` (over `dims`) that covers `subDims`. */
export function projectBox(dims: readonly string[], box: Box, subDims: readonly string[]): Box {
  const start: number[] = [];
  const stop: number[] = [];
  for (const d of subDims) {
    const k = dims.indexOf(d);
    start.push(box.start[k]);
    stop.push(box.stop[k]);
  }
  return { start, stop };
}

/** The input box a view's output box reads. */
export function viewInputBox(node: ViewNode, input: Node, box: Box): Box {
  const start = input.dims.map((d) => node.fixed[d] ?? 0);
  const stop = input.dims.map((d) => (node.fixed[d] ?? 0) + 1);
  node.axes.forEach((a, k) => {
    if (!a) return;
    const i = input.dims.indexOf(a.inDim);
    const first = a.start + a.step * box.start[k];
    const last = a.start + a.step * (box.stop[k] - 1);
    start[i] = Math.min(first, last);
    stop[i] = Math.max(first, last) + 1;
    if (box.stop[k] <= box.start[k]) stop[i] = start[i];
  });
  return { start, stop };
}

async function evaluateView(ctx: EvalContext, node: ViewNode, box: Box): Promise<NumberArray> {
  const input = ctx.graph[node.input];
  const inBox = viewInputBox(node, input, box);
  const data = await evaluate(ctx, input.id, inBox);
  const inStrides = stridesOf(boxShape(inBox));
  let offset = 0;
  const strides = node.axes.map((a, k) => {
    if (!a) return 0;
    const i = input.dims.indexOf(a.inDim);
    const first = a.start + a.step * box.start[k];
    offset += (first - inBox.start[i]) * inStrides[i];
    return a.step * inStrides[i];
  });
  const out = engineAllocate(node.dtype, boxSize(box), ctx.blocks, false);
  gather(data, offset, strides, boxShape(box), out);
  return out;
}

/** The input box a reduction's output box reads: the output box plus the reduced dims whole. */
export function reduceInputBox(node: ReduceNode, input: Node, box: Box): Box {
  const start = input.dims.map((d) =>
    node.over.includes(d) ? 0 : box.start[node.dims.indexOf(d)],
  );
  const stop = input.dims.map((d, i) =>
    node.over.includes(d) ? input.shape[i] : box.stop[node.dims.indexOf(d)],
  );
  return { start, stop };
}

async function evaluateReduce(ctx: EvalContext, node: ReduceNode, box: Box): Promise<NumberArray> {
  const r = reducer(node.fn);
  const out = engineAllocate(node.dtype, boxSize(box), ctx.blocks);
  const input = ctx.graph[node.input];
  const inBox = reduceInputBox(node, input, box);
  if (isWhole(r)) {
    const { data, run } = await runsLayout(ctx, node, input, inBox);
    r.reduceRuns(data, run, out, node.skipna, node.params);
    return out;
  }
  const [state] = await foldReduce(ctx, [node], box, inBox);
  r.finalize(state, out, node.params);
  return out;
}

/**
 * Folds the reduced range `inBox` of the input into fresh states for the output `box`,
 * slab by slab (slab extents from the planner), so memory does not grow with the axis.
 * Several reductions of the same input over the same dims fold each slab once, together.
 */
export async function foldReduce(
  ctx: EvalContext,
  nodes: ReduceNode[],
  box: Box,
  inBox: Box,
): Promise<Float64Array[][]> {
  const node = nodes[0];
  const reducers = nodes.map((n) => reducer(n.fn) as Reducer);
  const input = ctx.graph[node.input];
  const n = boxSize(box);
  const states = reducers.map((r) => {
    const state = Array.from({ length: r.slots }, () => new Float64Array(n));
    r.init(state);
    return state;
  });
  const slab = ctx.slabs[node.id] ?? {};
  const groups = groupFoldOf(ctx.graph, node, input);
  if (groups) {
    const steps = groupSlabSteps(
      groups,
      slab[node.over[0]] ?? inBox.stop[0] - inBox.start[0],
      box.stop[0] - box.start[0],
    );
    await foldGroups(
      groups,
      (id, b) => evaluate(ctx, id, b),
      reducers,
      nodes,
      states,
      box,
      inBox,
      steps,
    );
    return states;
  }
  const reducedAxes = input.dims.flatMap((d, i) => (node.over.includes(d) ? [i] : []));
  const leading = reducedAxes.every((i, k) => i === k);
  // an empty reduced range folds nothing (sum 0, mean NaN, count 0...)
  if (reducedAxes.some((i) => inBox.stop[i] <= inBox.start[i])) return states;
  const step = (i: number) => Math.max(1, slab[input.dims[i]] ?? inBox.stop[i] - inBox.start[i]);
  // iterate slabs over the reduced axes, in C order
  const cur = reducedAxes.map((i) => inBox.start[i]);
  for (;;) {
    const slabBox: Box = { start: [...inBox.start], stop: [...inBox.stop] };
    reducedAxes.forEach((i, k) => {
      slabBox.start[i] = cur[k];
      slabBox.stop[i] = Math.min(inBox.stop[i], cur[k] + step(i));
    });
    const base = reducedAxes.length === 1 ? slabBox.start[reducedAxes[0]] : 0;
    const planes = reducedAxes.reduce((p, i) => p * (slabBox.stop[i] - slabBox.start[i]), 1);
    const slabStart = { blocks: ctx.blocks?.mark() ?? 0, memo: ctx.memo.size };
    if (leading) {
      const data = await evaluate(ctx, input.id, slabBox);
      reducers.forEach((r, j) => r.foldPlanes(states[j], data, planes, base, nodes[j].skipna));
    } else {
      const { data, run } = await runsLayout(ctx, node, input, slabBox);
      reducers.forEach((r, j) => r.foldRuns(states[j], data, run, base, nodes[j].skipna));
    }
    // the slab is folded: its blocks go back for the next slab's (kept to the task's end, a
    // reduction over many slabs held them all: the demo's global mean, 383 MB projected, 1.8 GB)
    for (const key of [...ctx.memo.keys()].slice(slabStart.memo)) ctx.memo.delete(key);
    ctx.blocks?.end([], slabStart.blocks);
    let k = reducedAxes.length - 1;
    for (; k >= 0; k--) {
      const i = reducedAxes[k];
      cur[k] += step(i);
      if (cur[k] < inBox.stop[i]) break;
      cur[k] = inBox.start[i];
    }
    if (k < 0) return states;
  }
}

/** The input over `inBox` laid out [kept..., reduced...], so each output owns one run. */
async function runsLayout(ctx: EvalContext, node: ReduceNode, input: Node, inBox: Box) {
  const data = await evaluate(ctx, input.id, inBox);
  const shape = boxShape(inBox);
  const kept = input.dims.filter((d) => !node.over.includes(d));
  const order = [...kept, ...input.dims.filter((d) => node.over.includes(d))];
  const run = node.over.reduce((p, d) => p * shape[input.dims.indexOf(d)], 1);
  const trailing = order.every((d, i) => d === input.dims[i]);
  if (trailing) return { data, run };
  const outShape = order.map((d) => shape[input.dims.indexOf(d)]);
  const out = engineAllocate("float64", data.length, ctx.blocks, false);
  gather(data, 0, stridesFor(input.dims, shape, order), outShape, out);
  return { data: out as NumberArray, run };
}

async function evaluateWindow(ctx: EvalContext, node: WindowNode, box: Box): Promise<NumberArray> {
  const kernel = windowKernel(node.kernel);
  const read = (id: string, b: Box) => evaluate(ctx, id, b);
  const blocks: WindowBlock[] = [];
  for (const id of inputsOf(node)) {
    const input = ctx.graph[id];
    const inBox = windowInputBox(node, input, box);
    // streaming kernels pull their input slab by slab themselves
    const data = kernel.streams ? new Float64Array(0) : await read(id, inBox);
    blocks.push({ input, inBox, data, windows: windowsOf(node, id) });
  }
  const out = engineAllocate(node.dtype, boxSize(box), ctx.blocks);
  await kernel.run({ node, box, out, inputs: blocks, read });
  return out;
}

/** The input box a window op's output box reads: the union of the windows it covers. */
export function windowInputBox(node: WindowNode, input: Node, box: Box): Box {
  const windows = windowsOf(node, input.id);
  const start: number[] = [];
  const stop: number[] = [];
  input.dims.forEach((d, i) => {
    const w = windows[d];
    if (!w) {
      const k = node.dims.indexOf(d);
      start.push(box.start[k]);
      stop.push(box.stop[k]);
      return;
    }
    const k = w.outDim ? node.dims.indexOf(w.outDim) : -1;
    const m = w.memberDim ? node.dims.indexOf(w.memberDim) : -1;
    const [lo, hi] = axisInputRange(
      w,
      input.shape[i],
      k < 0 ? 0 : box.start[k],
      k < 0 ? 1 : box.stop[k],
      m < 0 ? 0 : box.start[m],
      m < 0 ? Infinity : box.stop[m],
    );
    start.push(lo);
    stop.push(hi);
  });
  return { start, stop };
}
