import type { ChunkGrid } from "../array/chunk-grid.js";
import type { DType } from "../array/dtype.js";
import { exactReplacer } from "../util/exact-json.js";

/**
 * The lazy computation graph as plain data. Every node is one generalized windowed operation
 * of DESIGN.md §1, specialised by `op`: each op says which box of each input a box of its
 * output needs, and has a kernel that computes the output box from those input boxes. Nodes
 * are serialisable (no functions), so a plan can be sent to worker threads or to machines.
 * Node ids are content hashes, so identical sub-expressions are one node and computed once.
 */
export type Node = SourceNode | MapNode | ViewNode | ReduceNode | WindowNode;

interface NodeBase {
  id: string;
  dims: string[];
  shape: number[];
  dtype: DType;
}

/** Where a source's chunks come from, as data a worker can open again. */
export type SourceRef =
  | { kind: "dataset"; url: string; variable: string; decode: boolean; directReads?: boolean }
  | { kind: "memory"; key: string };

/** An array read from storage (or a registered in-memory array). */
export interface SourceNode extends NodeBase {
  op: "source";
  ref: SourceRef;
  /** The source's chunk grid, for the planner's alignment and decode counts. */
  chunkShape: number[];
  /** Irregular grids: chunk sizes per dim (undefined where regular). */
  chunkSizes?: (number[] | undefined)[];
}

/** An operand of an elementwise function: another node, or a constant. */
export type Operand = { node: string } | { scalar: number };

/**
 * An elementwise function of its operands, broadcast by dimension name: the output has the
 * union of the inputs' dims; an input without a dim repeats along it.
 */
export interface MapNode extends NodeBase {
  op: "map";
  fn: string;
  inputs: Operand[];
}

/** One output dimension of a view: input dim `inDim`, indices `start + step * i`. */
export interface ViewAxis {
  inDim: string;
  start: number;
  step: number;
}

/**
 * Selection and reordering without computation: isel/sel (slices with steps, scalars that
 * drop a dim), transpose, squeeze, and expanding to new dims (broadcast_to).
 */
export interface ViewNode extends NodeBase {
  op: "view";
  input: string;
  /** Per output dim: where it comes from in the input (undefined: a new dim, broadcast). */
  axes: (ViewAxis | undefined)[];
  /** Input dims fixed at one index (dropped from the output). */
  fixed: Record<string, number>;
}

/** A reduction over some of the input's dims (they disappear from the output). */
export interface ReduceNode extends NodeBase {
  op: "reduce";
  fn: string;
  input: string;
  /** Reduced dims, in the input's order. */
  over: string[];
  skipna: boolean;
  params: Record<string, number>;
}

/**
 * How one input dim is read along output dim `outDim` (DESIGN.md §1): output index j has a
 * window of positions [lo_j, hi_j) — regular (`lo_j = offset + step * j`, `size` long) or
 * listed (`starts[j]`, `stops[j]`) — clipped to the positions there are. A position is an
 * input index or, with `index`, an entry of that list (-1: no value, read as NaN): windows
 * over scattered index sets (groups). Without `outDim` the window is the whole dim for every
 * output element (a whole-slice kernel). With `memberDim` the window is not reduced but laid
 * out along that output dim: member m of window j is position lo_j + m (a gather; groups are
 * laid out so that a streamed reduction over the members can fold them slab by slab).
 * With `segment` S (regular windows along the same positions as the output), the window of j
 * is clipped to j's segment [S⌊j/S⌋, S⌊j/S⌋ + S): scans restart there (see kernels/scan.ts).
 */
export interface WindowAxis {
  outDim?: string;
  offset?: number;
  step?: number;
  size?: number;
  segment?: number;
  starts?: number[];
  stops?: number[];
  index?: number[];
  memberDim?: string;
}

/** One input of a window node with its windows (by input dim; other dims map one to one). */
export interface WindowInput {
  node: string;
  windows: Record<string, WindowAxis>;
}

/**
 * The general form: per output dim, a window of input indices per output index (rolling,
 * coarsen, groups, resampling, interpolation, user kernels). Kernels are named; see
 * `src/core/kernels/window-kernels.ts`.
 */
export interface WindowNode extends NodeBase {
  op: "window";
  kernel: string;
  input: string;
  windows: Record<string, WindowAxis>;
  /** Further inputs (multi-input user kernels), each with its own windows. */
  others?: WindowInput[];
  params: Record<string, unknown>;
}

/** The windows through which window node `node` reads its input `inputId`. */
export function windowsOf(node: WindowNode, inputId: string): Record<string, WindowAxis> {
  if (inputId === node.input) return node.windows;
  const other = node.others?.find((o) => o.node === inputId);
  if (!other) throw new Error(`window node ${node.id} does not read ${inputId}`);
  return other.windows;
}

/** The nodes reachable from some roots, by id: what a plan carries. */
export type Graph = Record<string, Node>;

/** The nodes a node reads from. */
export function inputsOf(node: Node): string[] {
  switch (node.op) {
    case "source":
      return [];
    case "map":
      return node.inputs.flatMap((o) => ("node" in o ? [o.node] : []));
    case "window":
      return [node.input, ...(node.others ?? []).map((o) => o.node)];
    default:
      return [node.input];
  }
}

/**
 * A stable content id for a node spec (without its id). NaN, ±Infinity and -0 in parameters
 * are spelled apart (`fillna(Infinity)` and `fillna(-Infinity)` are different nodes).
 */
export function nodeId(spec: Omit<Node, "id">): string {
  return hash(JSON.stringify(spec, exactReplacer));
}

/** FNV-1a, 2×32 bits: collisions are not a security matter here, only identity of specs. */
function hash(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0).toString(36) + (h2 >>> 0).toString(36);
}

/** The nodes reachable from `roots`, as a graph. */
export function collect(roots: Node[], lookup: (id: string) => Node): Graph {
  const graph: Graph = {};
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (graph[n.id]) continue;
    graph[n.id] = n;
    for (const i of inputsOf(n)) stack.push(lookup(i));
  }
  return graph;
}

/** Chunk grid description of a source, for nodes. */
export function describeGrid(grid: ChunkGrid): Pick<SourceNode, "chunkShape" | "chunkSizes"> {
  const irregular = grid.dims.some((d) => !d.isRegular);
  return {
    chunkShape: grid.chunkShape,
    chunkSizes: irregular
      ? grid.dims.map((d) => (d.isRegular ? undefined : d.toSizes()))
      : undefined,
  };
}

/** What a node computes, in a word for plans and notes: its function, or `view`/`source`. */
export function opName(node: Node): string {
  switch (node.op) {
    case "map":
    case "reduce":
      return node.fn;
    case "window":
      return String(node.params.fn ?? node.kernel);
    default:
      return node.op;
  }
}
