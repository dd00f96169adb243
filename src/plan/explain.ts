import { formatBytes } from "../util/format.js";
import { totalTasks, type Plan } from "./plan.js";
import type { StagedPlan } from "./stages.js";

/** A plan as `dae plan --json` prints it: what runs, in what blocks, with what memory and reads. */
export interface PlanExplanation {
  tasks: number;
  outputs: {
    name: string;
    dims: string[];
    shape: number[];
    dtype: string;
    chunks: number[];
    target: string;
  }[];
  groups: {
    outputs: string[];
    blockShape: number[];
    blockCounts: number[];
    tasks: number;
    split?: { dim: string; parts: number; partExtent: number };
    steps?: { dim: string; extent: number; retainBytes: number };
  }[];
  /** Bytes: projected peak of the largest task (chunk cache and scratch buffers included), and in total against the budget. */
  memory: Plan["memory"];
  /** Per input: its chunks, the decodes the plan makes of them, and decodes per chunk. */
  decodes: { source: string; chunks: number; decodes: number; perChunk: number }[];
  /** Graph nodes by operation (after common sub-expressions are merged). */
  nodes: Record<string, number>;
  /** The planner's notes: what was fused, splits, outputs computed together. */
  notes: string[];
}

/** The facts of a plan, as plain data. */
export function explainPlan(plan: Plan): PlanExplanation {
  const nodes: Record<string, number> = {};
  for (const n of Object.values(plan.graph)) nodes[n.op] = (nodes[n.op] ?? 0) + 1;
  return {
    tasks: totalTasks(plan),
    outputs: plan.outputs.map((o) => {
      const n = plan.graph[o.id];
      return {
        name: o.name,
        dims: n.dims,
        shape: n.shape,
        dtype: n.dtype,
        chunks: o.chunkShape,
        target:
          o.target.kind === "memory"
            ? "memory"
            : `${o.target.url}/${o.target.path} (Zarr v${o.target.zarrFormat})`,
      };
    }),
    groups: plan.groups.map((g, i) => ({
      outputs: g.outputs.map((k) => plan.outputs[k].name),
      blockShape: g.blockShape,
      blockCounts: g.blockCounts,
      tasks: plan.taskCounts[i],
      ...(g.split ? { split: g.split } : {}),
      ...(g.steps ? { steps: g.steps } : {}),
    })),
    memory: { ...plan.memory },
    decodes: plan.decodes.map((d) => ({ ...d, perChunk: d.chunks > 0 ? d.decodes / d.chunks : 0 })),
    nodes,
    notes: [...plan.notes],
  };
}

const times = (xs: readonly number[]) => (xs.length ? xs.join("×") : "scalar");

/**
 * A plan as text, for `dae plan`.
 *
 * @example
 * ```text
 * plan: 12 tasks on 4 workers
 * output z (latitude×longitude = 241×480, float64) → memory, chunks 241×480
 * ...
 * ```
 */
export function formatPlan(plan: Plan): string {
  const e = explainPlan(plan);
  const m = e.memory;
  const lines = [
    `plan: ${e.tasks} task${e.tasks === 1 ? "" : "s"} on ${m.workers} worker${m.workers === 1 ? "" : "s"}`,
  ];
  for (const o of e.outputs)
    lines.push(
      `output ${o.name} (${o.dims.join("×") || "scalar"} = ${times(o.shape)}, ${o.dtype}) → ${o.target}, chunks ${times(o.chunks)}`,
    );
  for (const g of e.groups) {
    const split = g.split
      ? `, each split into ${g.split.parts} partial tasks along ${g.split.dim} (${g.split.partExtent} per part)`
      : g.steps
        ? `, each computed in steps of ${g.steps.extent} along ${g.steps.dim}`
        : "";
    lines.push(
      `tasks for ${g.outputs.join(", ")}: ${g.tasks}, blocks of ${times(g.blockShape)} (${times(g.blockCounts)} blocks)${split}`,
    );
  }
  lines.push(
    `memory: ${formatBytes(m.perTask)} per task (chunk cache ${formatBytes(m.cacheBytes)} and scratch ${formatBytes(m.scratchBytes)} included) × ${m.workers} worker${m.workers === 1 ? "" : "s"}` +
      `${m.held ? ` + ${formatBytes(m.held)} of results held` : ""} = ${formatBytes(m.total)} of the ${formatBytes(m.budget)} budget`,
  );
  lines.push("decodes (reads of input chunks):");
  for (const d of e.decodes)
    lines.push(
      `  ${d.source}: ${d.decodes} decodes of ${d.chunks} chunks (${d.perChunk.toFixed(2)} per chunk)`,
    );
  if (e.decodes.length === 0) lines.push("  none");
  lines.push(
    `graph: ${Object.entries(e.nodes)
      .map(([op, n]) => `${n} ${op}`)
      .join(", ")}`,
  );
  if (e.notes.length) lines.push("notes:", ...e.notes.map((n) => `  ${n}`));
  return `${lines.join("\n")}\n`;
}

/** One stage of a staged plan, as `dae plan --json` prints it. */
export interface StageExplanation extends PlanExplanation {
  /** What the stage computes first (undefined for the outputs' own stage). */
  label?: string;
  /** The work store it writes, if any. */
  store?: string;
}

/**
 * A staged plan as `dae plan --json` prints it: the outputs' own stage at the top level (as
 * for a plan of one stage), and every stage in order, the outputs' own last, under `stages`.
 */
export type StagedExplanation = PlanExplanation & { stages: StageExplanation[] };

export function explainStages(staged: StagedPlan): StagedExplanation {
  const stages = staged.stages.map((s) => ({
    ...(s.label !== undefined ? { label: s.label } : {}),
    ...(s.store !== undefined ? { store: s.store } : {}),
    ...explainPlan(s.plan),
  }));
  const { label: _label, store: _store, ...last } = stages[stages.length - 1];
  return { ...last, stages };
}

/**
 * A staged plan as text, for `dae plan`: a plan of one stage as `formatPlan` prints it, or
 * each stage in turn, headed by what it computes.
 *
 * @example
 * ```text
 * stage 1 of 2: rechunking t to 40×3×30 first (an intermediate store) → OUT.zarr.dae-work/0-….zarr
 *   plan: 4 tasks on 1 worker
 *   ...
 * stage 2 of 2: the outputs
 *   plan: 80 tasks on 1 worker
 * ```
 */
export function formatStages(staged: StagedPlan): string {
  const n = staged.stages.length;
  if (n === 1) return formatPlan(staged.stages[0].plan);
  return staged.stages
    .map((s, k) => {
      const what = s.label ?? "the outputs";
      const where = s.store !== undefined ? ` → ${s.store}` : s.holds ? " → memory" : "";
      const body = formatPlan(s.plan).replace(/^(?=.)/gm, "  ");
      return `stage ${k + 1} of ${n}: ${what}${where}\n${body}`;
    })
    .join("");
}
