import { nodeId, type Graph, type Node, type SourceNode } from "../core/graph.js";
import { MemoryBudgetError } from "../util/errors.js";
import type { Plan } from "./plan.js";
import { makePlan, type PlanRequest } from "./planner.js";
import { intermediateChunks, workDir } from "./rechunk-stages.js";
import { recomputed, subgraph } from "./shared-results.js";

/**
 * One stage of a staged plan: a plan run to completion before the next stage starts. Stages
 * before the last compute what later ones read as sources (a shared result, a rechunk's
 * intermediate store); the last computes the outputs.
 */
export interface Stage {
  /** What the stage computes, as its progress is labelled; undefined for the outputs' own stage. */
  label?: string;
  plan: Plan;
  /** The work store this stage writes (a stage before the outputs' own, writing to disk). */
  store?: string;
  /** A shared result held in memory: the in-memory source later stages read it as. */
  holds?: SourceNode;
  /** Ids of sources (rechunk intermediates) whose chunks the stage deletes once no task needs them. */
  usedUp: string[];
}

/** Every stage a run goes through, in order; what `dae plan` prints and what a run executes. */
export interface StagedPlan {
  stages: Stage[];
  /**
   * The outputs planned in one stage, as asked: what a resume recognises (the stages depend
   * on the memory budget, so a resume with another budget must still match; see `planFingerprint`).
   */
  direct: Plan;
}

/** What to plan in stages: a plan request, and where the outputs go. */
export interface StagedRequest extends PlanRequest {
  /** The store the outputs are written to (stages then write beside it, in its work directory); undefined when they are loaded. */
  path?: string;
  /** Let costly rechunks and shared results go through stages of their own (default true). */
  intermediates?: boolean;
  /** Shared results of loaded outputs may be held in this process (not when workers are other processes). */
  holdShared?: boolean;
}

let heldCount = 0;

/**
 * Plans the outputs and the stages they need first: small results that every block would
 * compute again (a climatology under an anomaly, see `recomputed`) are computed once, into
 * memory or the work directory; then outputs that rechunk a source at a high re-decode cost
 * go through an intermediate store (see `intermediateChunks`).
 *
 * @example
 * ```ts
 * const { stages } = planStages({ graph, outputs, memory: 1 << 30, workers: 4, path: "out.zarr" });
 * for (const s of stages) console.log(s.label ?? "outputs", totalTasks(s.plan));
 * ```
 */
export function planStages(req: StagedRequest): StagedPlan {
  const direct = makePlan(req);
  const stages: Stage[] = [];
  let last = direct;
  const usedUp: string[] = [];
  if (req.intermediates !== false && (req.path !== undefined || req.holdShared)) {
    const shared = recomputed(last);
    if (shared.length) {
      const graph: Graph = { ...last.graph };
      shared.forEach((node, k) => {
        const label = `computing shared result ${k + 1} of ${shared.length} first (used by every block)`;
        const first = sharedStages(req, last.graph, node, k);
        stages.push(...first.map((s) => ({ ...s, label })));
        graph[node.id] = readBack(node, first[first.length - 1]);
      });
      last = makePlan({ ...req, graph: reachable(graph, req.outputs) });
    }
  }
  if (req.intermediates !== false && req.path !== undefined) {
    const outputs = req.outputs.map((o, i) => ({ ...o, chunks: last.outputs[i].chunkShape }));
    const base = last;
    const staged = intermediateChunks(
      base,
      (i, chunks) => fits(req, () => rechunkStage(req, base, i, chunks), outputs[i]),
      req.workers,
    );
    if (staged.some(Boolean)) {
      const graph: Graph = { ...base.graph };
      staged.forEach((chunks, i) => {
        if (!chunks) return;
        const stage = rechunkStage(req, base, i, chunks);
        stages.push(stage.stage);
        graph[stage.intermediate.id] = stage.intermediate;
        outputs[i] = { ...outputs[i], id: stage.intermediate.id };
        usedUp.push(stage.intermediate.id);
      });
      last = makePlan({ ...req, outputs, graph: reachable(graph, outputs) });
    }
  }
  stages.push({ plan: last, usedUp });
  return { stages, direct };
}

/** The stages computing shared result `node` (number `k`): in memory (its own stages first), or into the work directory. */
function sharedStages(req: StagedRequest, graph: Graph, node: Node, k: number): Stage[] {
  const name = `shared_${k}`;
  const sub = subgraph(graph, node.id);
  const budget = { memory: req.memory, workers: req.workers };
  if (req.path === undefined) {
    const { stages } = planStages({
      ...budget,
      graph: sub,
      outputs: [{ id: node.id, name, target: { kind: "memory" } }],
      holdShared: true,
    });
    const spec = {
      op: "source" as const,
      ref: { kind: "memory" as const, key: `stage:${++heldCount}:${node.id}` },
      dims: [...node.dims],
      shape: [...node.shape],
      // int64 results are held as float64 in the engine; other dtypes (bool too) keep theirs
      dtype: node.dtype === "int64" || node.dtype === "uint64" ? ("float64" as const) : node.dtype,
      chunkShape: node.shape.map((n, d) => (d === 0 ? 1 : Math.max(1, n))),
    };
    const last = stages[stages.length - 1];
    return [...stages.slice(0, -1), { ...last, holds: { ...spec, id: nodeId(spec) } }];
  }
  // named by what it holds: a resumed run reuses a finished one of the same expression only
  const store = `${workDir(req.path)}/shared-${node.id}.zarr`;
  const plan = makePlan({
    ...budget,
    graph: sub,
    outputs: [
      { id: node.id, name, target: { kind: "zarr", url: store, path: name, zarrFormat: 3 } },
    ],
  });
  return [{ plan, store, usedUp: [] }];
}

/** Shared result `node` as later stages read it: from memory or its work store, under its own id (every consumer reads it). */
function readBack(node: Node, stage: Stage): SourceNode {
  if (stage.holds) return { ...stage.holds, id: node.id };
  const o = stage.plan.outputs[0];
  return {
    op: "source",
    id: node.id,
    ref: { kind: "dataset", url: stage.store!, variable: o.name, decode: false },
    dims: [...node.dims],
    shape: [...node.shape],
    dtype: node.dtype,
    chunkShape: o.chunkShape,
  };
}

/** The first stage of a rechunk of output `i` of `plan` through an intermediate store of `chunks`, and the intermediate as read back. */
function rechunkStage(
  req: StagedRequest,
  plan: Plan,
  i: number,
  chunks: number[],
): { stage: Stage; intermediate: SourceNode } {
  const o = plan.outputs[i];
  const source = plan.graph[o.id] as SourceNode;
  // named by what it holds: a resumed run reuses a finished intermediate of the same expression only
  const store = `${workDir(req.path!)}/${i}-${source.id}-${chunks.join("x")}.zarr`;
  const first = makePlan({
    memory: req.memory,
    workers: req.workers,
    graph: { [source.id]: source },
    outputs: [
      {
        id: source.id,
        name: o.name,
        chunks,
        target: { kind: "zarr", url: store, path: o.name, zarrFormat: 3 },
      },
    ],
  });
  const spec: Omit<SourceNode, "id"> = {
    op: "source",
    // written past the page cache and read once: read past it too
    ref: { kind: "dataset", url: store, variable: o.name, decode: false, directReads: true },
    dims: [...source.dims],
    shape: [...source.shape],
    dtype: source.dtype,
    chunkShape: first.outputs[0].chunkShape,
  };
  const label = `rechunking ${o.name} to ${chunks.join("×")} first (an intermediate store)`;
  return {
    stage: { label, plan: first, store, usedUp: [] },
    intermediate: { ...spec, id: nodeId(spec) },
  };
}

/** Whether the second stage of a rechunk (the output read from the intermediate) plans under the budget (the first did, or it threw). */
function fits(
  req: StagedRequest,
  stage: () => { intermediate: SourceNode },
  output: StagedRequest["outputs"][number],
): boolean {
  try {
    const { intermediate } = stage();
    makePlan({
      ...req,
      graph: { [intermediate.id]: intermediate },
      outputs: [{ ...output, id: intermediate.id }],
    });
    return true;
  } catch (e) {
    if (e instanceof MemoryBudgetError) return false;
    throw e;
  }
}

/** The nodes the outputs reach. */
function reachable(graph: Graph, outputs: { id: string }[]): Graph {
  return Object.assign({}, ...outputs.map((o) => subgraph(graph, o.id)));
}
