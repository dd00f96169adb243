import { realpathSync } from "node:fs";
import { isDType } from "../../array/dtype.js";
import { inputsOf, type Node } from "../../core/graph.js";
import { elementwise } from "../../core/kernels/elementwise.js";
import { reducer } from "../../core/kernels/reductions.js";
import { windowKernel } from "../../core/kernels/window-kernels.js";
import { totalTasks, type Plan } from "../../plan/plan.js";
import { DaeError, InputError } from "../../util/errors.js";
import type { AllowList } from "./allow-list.js";

/** What a worker accepts besides a well-formed plan. */
export interface PlanPolicy {
  /** Real paths of the kernel modules the worker was started with (`--kernels`). */
  kernelModules: ReadonlySet<string>;
  /** The stores the worker may read and write (`--allow`); every source and output must be one. */
  allow: AllowList;
}

const OPS = new Set(["source", "map", "view", "reduce", "window"]);

/**
 * Checks a plan that came from Redis before a worker runs any of it: every field has the
 * type and range the engine relies on, node references exist and form no cycle, functions
 * and kernels are known by name, user kernels come only from modules the worker loaded at
 * start, sources are datasets (not this process's memory) and every store read or written is
 * on the allow list. Throws an `InputError` naming the first fault. Local locations in the
 * returned plan are real paths (links resolved when checked), kernel modules the very files
 * the worker loaded.
 */
export function validatePlan(value: unknown, policy: PlanPolicy): Plan {
  const plan = value as Plan;
  const bad = (where: string, why: string): never => {
    throw new InputError(`malformed plan: ${where}: ${why}`);
  };
  if (!isObject(plan)) bad("plan", "not an object");
  if (!isObject(plan.graph)) bad("graph", "not an object");
  for (const [id, node] of Object.entries(plan.graph)) checkNode(id, node, plan, policy, bad);
  checkAcyclic(plan, bad);
  if (!Array.isArray(plan.outputs) || plan.outputs.length === 0)
    bad("outputs", "not a non-empty list");
  plan.outputs.forEach((o, i) => {
    const where = `outputs[${i}]`;
    if (!isObject(o) || !plan.graph[o.id]) bad(where, "names no node of the graph");
    const node = plan.graph[o.id];
    if (!isIntList(o.chunkShape, 1) || o.chunkShape.length !== node.shape.length)
      bad(where, "chunkShape must be positive integers, one per dim");
    const t = o.target;
    if (!isObject(t)) bad(where, "no target");
    if (t.kind === "zarr") {
      if (
        typeof t.url !== "string" ||
        typeof t.path !== "string" ||
        (t.zarrFormat !== 2 && t.zarrFormat !== 3)
      )
        bad(where, "a Zarr target needs url, path and zarrFormat 2 or 3");
      t.url = checkLocation(t.url, policy, where, bad);
    } else if (t.kind !== "memory")
      bad(where, `unknown target kind ${String((t as { kind?: unknown }).kind)}`);
  });
  if (
    !Array.isArray(plan.groups) ||
    !Array.isArray(plan.taskCounts) ||
    plan.taskCounts.length !== plan.groups.length
  )
    bad("groups", "groups and taskCounts must be lists of one length");
  plan.groups.forEach((g, i) => {
    const where = `groups[${i}]`;
    if (!isObject(g) || !Array.isArray(g.outputs) || g.outputs.length === 0)
      bad(where, "no outputs");
    if (!g.outputs.every((o) => Number.isSafeInteger(o) && o >= 0 && o < plan.outputs.length))
      bad(where, "an output index is out of range");
    const { shape, dims } = plan.graph[plan.outputs[g.outputs[0]].id];
    if (!isIntList(g.blockShape, 1) || g.blockShape.length !== shape.length)
      bad(where, "blockShape must be positive integers, one per dim");
    if (
      !isIntList(g.blockCounts, 0) ||
      g.blockCounts.some((c, d) => c !== Math.ceil(shape[d] / g.blockShape[d]))
    )
      bad(where, "blockCounts do not match the shape and blockShape");
    const parts = g.split ? g.split.parts : 1;
    if (
      g.split &&
      !(
        Number.isSafeInteger(g.split.parts) &&
        g.split.parts > 0 &&
        Number.isSafeInteger(g.split.partExtent) &&
        g.split.partExtent > 0 &&
        typeof g.split.dim === "string"
      )
    )
      bad(where, "split needs a dim, parts > 0 and partExtent > 0");
    if (
      g.steps &&
      !(
        typeof g.steps.dim === "string" &&
        dims.includes(g.steps.dim) &&
        Number.isSafeInteger(g.steps.extent) &&
        g.steps.extent > 0 &&
        Number.isSafeInteger(g.steps.retainBytes) &&
        g.steps.retainBytes >= 0
      )
    )
      bad(where, "steps need one of the output's dims, extent > 0 and retainBytes >= 0");
    if (plan.taskCounts[i] !== g.blockCounts.reduce((p, c) => p * c, 1) * parts)
      bad(where, "taskCounts does not match the blocks");
  });
  if (
    !isObject(plan.slabs) ||
    !Object.values(plan.slabs).every(
      (s) => isObject(s) && Object.values(s).every((n) => Number.isSafeInteger(n) && n > 0),
    )
  )
    bad("slabs", "slab extents must be positive integers");
  if (
    !isObject(plan.memory) ||
    !(Number.isSafeInteger(plan.memory.cacheBytes) && plan.memory.cacheBytes >= 0)
  )
    bad("memory", "cacheBytes must be an integer >= 0");
  if (!(Number.isSafeInteger(plan.memory.scratchBytes) && plan.memory.scratchBytes >= 0))
    bad("memory", "scratchBytes must be an integer >= 0");
  const { budget, workers, perTask } = plan.memory;
  if (
    !(Number.isFinite(budget) && budget > 0 && Number.isSafeInteger(workers) && workers >= 1) ||
    !(Number.isFinite(perTask) && perTask >= 0)
  )
    bad("memory", "budget > 0, workers >= 1 and perTask >= 0 must be numbers");
  if (totalTasks(plan) < 1) bad("taskCounts", "no task");
  return plan;
}

type Bad = (where: string, why: string) => never;

function checkNode(id: string, n: Node, plan: Plan, policy: PlanPolicy, bad: Bad): void {
  const where = `graph node ${id}`;
  if (!isObject(n) || n.id !== id) bad(where, "id does not match its key");
  if (!OPS.has(n.op)) bad(where, `unknown op ${String(n.op)}`);
  if (!isStringList(n.dims) || !isIntList(n.shape, 0) || n.dims.length !== n.shape.length)
    bad(where, "dims and shape must be lists of one length");
  if (typeof n.dtype !== "string" || !isDType(n.dtype))
    bad(where, `unknown dtype ${String(n.dtype)}`);
  const named = (lookup: () => unknown) => {
    try {
      lookup();
    } catch (e) {
      bad(where, e instanceof DaeError ? e.message : String(e));
    }
  };
  switch (n.op) {
    case "source": {
      const ref = n.ref;
      if (!isObject(ref) || ref.kind !== "dataset")
        bad(where, "a source must be a dataset (in-memory arrays cannot reach another process)");
      if (ref.kind === "dataset") {
        if (
          typeof ref.url !== "string" ||
          typeof ref.variable !== "string" ||
          typeof ref.decode !== "boolean"
        )
          bad(where, "a dataset source needs url, variable and decode");
        ref.url = checkLocation(ref.url, policy, where, bad);
      }
      if (!isIntList(n.chunkShape, 1)) bad(where, "chunkShape must be positive integers");
      break;
    }
    case "map":
      if (typeof n.fn !== "string" || !Array.isArray(n.inputs))
        bad(where, "a map needs fn and inputs");
      named(() => elementwise(n.fn));
      for (const o of n.inputs)
        if (
          !isObject(o) ||
          !("node" in o
            ? typeof o.node === "string"
            : Number.isFinite((o as { scalar: number }).scalar))
        )
          bad(where, "an operand must be a node or a finite scalar");
      break;
    case "view":
      if (!Array.isArray(n.axes) || n.axes.length !== n.dims.length || !isObject(n.fixed))
        bad(where, "a view needs one axis per dim and fixed");
      for (const a of n.axes)
        if (
          a !== undefined &&
          a !== null &&
          !(
            isObject(a) &&
            typeof a.inDim === "string" &&
            Number.isSafeInteger(a.start) &&
            Number.isSafeInteger(a.step)
          )
        )
          bad(where, "a view axis needs inDim, start and step");
      if (!Object.values(n.fixed).every((v) => Number.isSafeInteger(v) && v >= 0))
        bad(where, "fixed indices must be integers >= 0");
      break;
    case "reduce":
      if (
        typeof n.fn !== "string" ||
        !isStringList(n.over) ||
        typeof n.skipna !== "boolean" ||
        !isObject(n.params)
      )
        bad(where, "a reduce needs fn, over, skipna and params");
      named(() => reducer(n.fn));
      break;
    case "window": {
      if (typeof n.kernel !== "string" || !isObject(n.windows) || !isObject(n.params))
        bad(where, "a window node needs kernel, windows and params");
      named(() => windowKernel(n.kernel));
      for (const w of [n.windows, ...(n.others ?? []).map((o) => o.windows)])
        if (!isObject(w) || !Object.values(w).every(isWindowAxis))
          bad(where, "a window axis has a field of the wrong type");
      if (n.kernel === "user")
        n.params.module = checkKernelModule(n.params.module, policy, where, bad);
      break;
    }
  }
  for (const input of inputsOf(n))
    if (typeof input !== "string" || !plan.graph[input])
      bad(where, `reads node ${String(input)}, which is not in the graph`);
}

/** Fields of a window axis: strings, integers and integer lists (see `WindowAxis`). */
function isWindowAxis(a: unknown): boolean {
  if (!isObject(a)) return false;
  return Object.entries(a).every(
    ([key, v]) =>
      v === undefined ||
      (key === "outDim" || key === "memberDim"
        ? typeof v === "string"
        : Array.isArray(v)
          ? v.every((x) => Number.isSafeInteger(x))
          : Number.isSafeInteger(v)),
  );
}

function checkAcyclic(plan: Plan, bad: Bad): void {
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
  for (const root of Object.keys(plan.graph)) {
    const stack: [string, number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [id, i] = top;
      const inputs = inputsOf(plan.graph[id]);
      if (i === 0) {
        if (state.get(id) === 2) {
          stack.pop();
          continue;
        }
        state.set(id, 1);
      }
      if (i < inputs.length) {
        top[1]++;
        const next = inputs[i];
        if (state.get(next) === 1) bad(`graph node ${id}`, "the graph has a cycle");
        if (state.get(next) !== 2) stack.push([next, 0]);
      } else {
        state.set(id, 2);
        stack.pop();
      }
    }
  }
}

/** A location on the allow list, as the worker opens it (a real path, or the URL). */
function checkLocation(url: string, policy: PlanPolicy, where: string, bad: Bad): string {
  try {
    return policy.allow.check(url, "store");
  } catch (e) {
    return bad(where, e instanceof DaeError ? e.message : String(e));
  }
}

/**
 * The real path of a user kernel module, which must be one the worker loaded at start: a
 * name that now leads elsewhere (a link swapped in since) is refused, not imported.
 */
function checkKernelModule(module: unknown, policy: PlanPolicy, where: string, bad: Bad): string {
  let real: string | undefined;
  try {
    real = typeof module === "string" ? realpathSync(module) : undefined;
  } catch {
    real = undefined;
  }
  if (real === undefined || !policy.kernelModules.has(real))
    bad(
      where,
      `kernel module ${String(module)} is not one this worker loaded at start (dae worker --kernels FILE)`,
    );
  return real!;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isIntList(v: unknown, min: number): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= min);
}
