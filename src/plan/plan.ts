import type { Box } from "../core/box.js";
import type { Graph, SourceNode } from "../core/graph.js";

/** Where an output's chunks go. */
export type OutputTarget =
  /** A Zarr array that the coordinator created before the tasks run. */
  | { kind: "zarr"; url: string; path: string; zarrFormat: 2 | 3 }
  /** Back to the caller (`load`, `compute`, `--print`). */
  | { kind: "memory" };

/** One output of a plan: a root node and its chunking. */
export interface PlannedOutput {
  id: string;
  name: string;
  target: OutputTarget;
  /** Output chunk shape: each chunk is written whole, once, by one task. */
  chunkShape: number[];
}

/**
 * Outputs computed together, one block of each per task (same shape and chunks): reductions
 * of one input, like mean and std, then fold each slab of it once into all their states.
 */
export interface PlannedGroup {
  outputs: number[];
  /** Block shape: a whole number of output chunks per dim (clipped at the edge). */
  blockShape: number[];
  /** Blocks per dim. */
  blockCounts: number[];
  /** Reductions split along `dim` into `parts` partial tasks whose states are combined. */
  split?: { dim: string; parts: number; partExtent: number };
  /**
   * Each block computed in steps of `extent` along output dim `dim` (whole output chunks),
   * each step written before the next, while the task's chunk cache keeps the input chunks
   * later steps read (at most `retainBytes`): an input chunk that straddles steps is decoded
   * once per task, and the task holds one step's blocks, not the whole block's.
   */
  steps?: { dim: string; extent: number; retainBytes: number };
}

/** A task: one block of one group (and one part of it, for a split reduction). */
export interface Task {
  group: number;
  block: number[];
  part?: number;
}

/** Decodes one source's chunks take over the whole plan (a chunk read by two tasks counts twice). */
export interface DecodeCount {
  /** The source, as `sourceName` names it. */
  source: string;
  chunks: number;
  decodes: number;
}

/**
 * A plan: everything a worker needs to run any task, as plain data. Tasks are not stored
 * one object each: `taskAt` derives them from the block counts, so a plan over a million
 * chunks stays small.
 */
export interface Plan {
  graph: Graph;
  outputs: PlannedOutput[];
  groups: PlannedGroup[];
  /** Slab extents per reduce node id and reduced dim. */
  slabs: Record<string, Record<string, number>>;
  /** Number of tasks per group (blocks × parts). */
  taskCounts: number[];
  memory: {
    budget: number;
    workers: number;
    /** Projected peak bytes of the largest task, chunk cache and scratch buffers included. */
    perTask: number;
    cacheBytes: number;
    /** Free scratch buffers (file reads, decoded and encoded chunks) a worker keeps for reuse. */
    scratchBytes: number;
    /** Bytes the coordinator holds for in-memory results. */
    held: number;
    /** perTask × workers + held. */
    total: number;
  };
  decodes: DecodeCount[];
  /** Human-readable notes: what was fused, why blocks are the size they are. */
  notes: string[];
}

/** How plans name a source in their decode counts: `url:variable`, or an in-memory array's key. */
export function sourceName(node: SourceNode): string {
  return node.ref.kind === "dataset" ? `${node.ref.url}:${node.ref.variable}` : node.ref.key;
}

export function totalTasks(plan: Plan): number {
  return plan.taskCounts.reduce((a, b) => a + b, 0);
}

/** Chunk decodes the whole plan takes (what `dae plan` shows, and what a run counts). */
export function totalDecodes(plan: Plan): number {
  return plan.decodes.reduce((s, d) => s + d.decodes, 0);
}

/** Task number `k` of the plan (groups in order, blocks in C order, parts innermost). */
export function taskAt(plan: Plan, k: number): Task {
  let group = 0;
  while (k >= plan.taskCounts[group]) k -= plan.taskCounts[group++];
  const g = plan.groups[group];
  const parts = g.split?.parts ?? 1;
  const part = k % parts;
  let b = Math.floor(k / parts);
  const block = new Array<number>(g.blockCounts.length);
  for (let d = g.blockCounts.length - 1; d >= 0; d--) {
    block[d] = b % g.blockCounts[d];
    b = Math.floor(b / g.blockCounts[d]);
  }
  return g.split ? { group, block, part } : { group, block };
}

/**
 * The boxes a task's block is computed in: the block itself, or its steps in order (see
 * `PlannedGroup.steps`).
 */
export function stepBoxes(plan: Plan, group: number, box: Box): Box[] {
  const g = plan.groups[group];
  if (!g.steps) return [box];
  const d = plan.graph[plan.outputs[g.outputs[0]].id].dims.indexOf(g.steps.dim);
  const out: Box[] = [];
  for (let s = box.start[d]; s < box.stop[d]; s += g.steps.extent) {
    const step = { start: [...box.start], stop: [...box.stop] };
    step.start[d] = s;
    step.stop[d] = Math.min(box.stop[d], s + g.steps.extent);
    out.push(step);
  }
  return out;
}

/** The output box a block of a group covers. */
export function blockBox(plan: Plan, group: number, block: readonly number[]): Box {
  const g = plan.groups[group];
  const shape = plan.graph[plan.outputs[g.outputs[0]].id].shape;
  const start = block.map((b, d) => b * g.blockShape[d]);
  return { start, stop: start.map((s, d) => Math.min(shape[d], s + g.blockShape[d])) };
}
