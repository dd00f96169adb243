import { isFloat, type DType } from "../array/dtype.js";
import {
  nodeId,
  type Graph,
  type MapNode,
  type Node,
  type Operand,
  type ReduceNode,
  type ViewAxis,
  type ViewNode,
} from "../core/graph.js";
import { elementwise } from "../core/kernels/elementwise.js";
import { isWhole, reducer } from "../core/kernels/reductions.js";
import { InputError } from "../util/errors.js";

/** A node with the graph it stands on (all nodes it reaches, itself included). */
export interface Built {
  node: Node;
  graph: Graph;
}

function withId<T extends Node>(spec: Omit<T, "id">): T {
  return { ...spec, id: nodeId(spec) } as T;
}

/** A graph holding `node` and everything in `graphs`. */
function merge(node: Node, ...graphs: Graph[]): Built {
  return { node, graph: Object.assign({}, ...graphs, { [node.id]: node }) };
}

/**
 * An elementwise function of arrays and scalars, broadcast by dimension name: the result
 * has the first array's dims, then the others' new dims in order. A dim of two arrays must
 * have one size.
 */
export function buildMap(
  fn: string,
  operands: (Built | number)[],
  names: string[],
  dtype?: DType,
): Built {
  const f = elementwise(fn);
  if (operands.length !== f.arity)
    throw new InputError(`${fn} takes ${f.arity} operand(s), got ${operands.length}`);
  const dims: string[] = [];
  const shape: number[] = [];
  operands.forEach((o, k) => {
    if (typeof o === "number") return;
    o.node.dims.forEach((d, i) => {
      const at = dims.indexOf(d);
      if (at < 0) {
        dims.push(d);
        shape.push(o.node.shape[i]);
      } else if (shape[at] !== o.node.shape[i])
        throw new InputError(
          `${fn}: dimension "${d}" has size ${shape[at]} in ${names[0] ?? "the first operand"} but ${o.node.shape[i]} in ${names[k] ?? `operand ${k + 1}`}`,
        );
    });
  });
  const inputs: Operand[] = operands.map((o) =>
    typeof o === "number" ? { scalar: o } : { node: o.node.id },
  );
  const dtypes = operands.map(
    (o) =>
      (typeof o === "number" ? (Number.isInteger(o) ? "int64" : "float64") : o.node.dtype) as DType,
  );
  const scalars = operands.map((o) => typeof o === "number");
  const values = operands.map((o) => (typeof o === "number" ? o : undefined));
  const node = withId<MapNode>({
    op: "map",
    fn,
    inputs,
    dims,
    shape,
    dtype: dtype ?? f.dtype(dtypes, scalars, values),
  });
  return merge(node, ...operands.flatMap((o) => (typeof o === "number" ? [] : [o.graph])));
}

/** A view of `input`: output axes from input dims (or new, broadcast dims), some input dims fixed. */
export function buildView(
  input: Built,
  dims: string[],
  shape: number[],
  axes: (ViewAxis | undefined)[],
  fixed: Record<string, number>,
): Built {
  const identity =
    Object.keys(fixed).length === 0 &&
    dims.length === input.node.dims.length &&
    axes.every(
      (a, k) =>
        a &&
        a.inDim === input.node.dims[k] &&
        a.start === 0 &&
        a.step === 1 &&
        shape[k] === input.node.shape[k],
    );
  if (identity) return input;
  const node = withId<ViewNode>({
    op: "view",
    input: input.node.id,
    dims,
    shape,
    dtype: input.node.dtype,
    axes,
    fixed,
  });
  return merge(node, input.graph);
}

/** Options of reductions. */
export interface ReduceOptions {
  /** Skip NaN (default: true for float arrays, as xarray). */
  skipna?: boolean;
  /** Delta degrees of freedom for std/var (default 0). */
  ddof?: number;
  /** Quantile in [0, 1] for `quantile`. */
  q?: number;
  /** Fewer valid values than this give NaN (sum/prod). */
  minCount?: number;
}

/** A reduction of `input` over `over` (names; all dims when empty). */
export function buildReduce(
  fn: string,
  input: Built,
  over: string[],
  options: ReduceOptions = {},
): Built {
  const r = reducer(fn);
  const dims = input.node.dims;
  for (const d of over)
    if (!dims.includes(d))
      throw new InputError(`${fn}: no dimension "${d}" (dimensions: ${dims.join(", ") || "none"})`);
  const reduced = over.length ? dims.filter((d) => over.includes(d)) : [...dims];
  if (!isWhole(r) && r.singleDim && reduced.length !== 1)
    throw new InputError(
      `${fn} needs exactly one dimension, got ${reduced.length ? reduced.join(", ") : "none"}`,
    );
  if (reduced.length === 0) return input;
  const params: Record<string, number> = {};
  if (options.ddof !== undefined) params.ddof = options.ddof;
  if (options.q !== undefined) params.q = options.q;
  if (options.minCount !== undefined) params.min_count = options.minCount;
  if (fn === "quantile" && params.q === undefined) throw new InputError("quantile needs q");
  let dtype = r.dtype(input.node.dtype);
  // xarray's quantile is float64 whatever the input (its median keeps float32)
  if (fn === "quantile") dtype = "float64";
  const node = withId<ReduceNode>({
    op: "reduce",
    fn,
    input: input.node.id,
    over: reduced,
    skipna: options.skipna ?? isFloat(input.node.dtype),
    params,
    dims: dims.filter((d) => !reduced.includes(d)),
    shape: input.node.shape.filter((_, i) => !reduced.includes(dims[i])),
    dtype,
  });
  return merge(node, input.graph);
}
