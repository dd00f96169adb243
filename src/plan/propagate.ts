import { boxSize, type Box } from "../core/box.js";
import { projectBox, reduceInputBox, viewInputBox, windowInputBox } from "../core/evaluate.js";
import { inputsOf, type Graph, type Node, type SourceNode } from "../core/graph.js";

/**
 * The boxes each node is evaluated over when `root` is evaluated over `box`, following the
 * same input-box rules as the evaluator (reduced dims whole; slabs do not change what is
 * read). Used for decode counts and memory estimates without reading anything.
 */
export function visitBoxes(
  graph: Graph,
  rootId: string,
  box: Box,
  visit: (node: Node, box: Box) => void,
): void {
  const walk = (id: string, b: Box) => {
    const node = graph[id];
    visit(node, b);
    for (const inputId of inputsOf(node)) walk(inputId, inputBox(graph, node, inputId, b));
  };
  walk(rootId, box);
}

/** The box of input `inputId` that `node` over `box` reads. */
export function inputBox(graph: Graph, node: Node, inputId: string, box: Box): Box {
  const input = graph[inputId];
  switch (node.op) {
    case "map":
      return projectBox(node.dims, box, input.dims);
    case "view":
      return viewInputBox(node, input, box);
    case "reduce":
      return reduceInputBox(node, input, box);
    case "window":
      return windowInputBox(node, input, box);
    case "source":
      return box;
  }
}

/** Elements read from sources when `root` is evaluated over `box`. */
export function sourceElements(graph: Graph, rootId: string, box: Box): number {
  let n = 0;
  visitBoxes(graph, rootId, box, (node, b) => {
    if (node.op === "source") n += boxSize(b);
  });
  return n;
}

/** A source read: the box of `source` that evaluating some box of the roots reads. */
export interface SourceRead {
  source: SourceNode;
  box: Box;
}

/** The source reads under `roots` over `box`, in the order the evaluator makes them. */
export function sourceReads(graph: Graph, roots: readonly Node[], box: Box): SourceRead[] {
  const out: SourceRead[] = [];
  for (const r of roots)
    visitBoxes(graph, r.id, box, (n, b) => {
      if (n.op === "source") out.push({ source: n, box: b });
    });
  return out;
}
