import type { NumberArray } from "../../array/dtype.js";
import { InputError } from "../../util/errors.js";
import type { TaskResult } from "../run-task.js";

/**
 * What the coordinator and `dae worker` processes exchange through Redis. Everything is
 * data: a job is `{runId, k}`, the plan is JSON stored once per run, a result is JSON with
 * typed arrays as base64. Nothing in it is ever run as code.
 */

/** BullMQ queue every worker takes tasks from, whatever run they belong to. */
export const DEFAULT_QUEUE = "dae-tasks";
/** Key prefix of BullMQ's keys and ours. */
export const KEY_PREFIX = "dae";

/** The Redis key of a run's plan; it expires unless the coordinator keeps refreshing it. */
export function planKey(runId: string): string {
  return `${KEY_PREFIX}:run:${runId}:plan`;
}

/** A BullMQ job id for task `k` of a run (one job per task: adding it twice is a no-op). */
export function jobId(runId: string, k: number): string {
  return `${runId}.${k}`;
}

/** The payload of one job. */
export interface TaskJob {
  runId: string;
  k: number;
}

const RUN_ID = /^[0-9a-f]{8,64}$/;

/** Checks a job payload: a run id (hex) and a task number, nothing else. */
export function parseTaskJob(data: unknown): TaskJob {
  const d = data as Partial<TaskJob> | null;
  if (!d || typeof d !== "object" || Array.isArray(d))
    throw new InputError("malformed job: not an object");
  const extra = Object.keys(d).filter((key) => key !== "runId" && key !== "k");
  if (extra.length) throw new InputError(`malformed job: unexpected field ${extra[0]}`);
  if (typeof d.runId !== "string" || !RUN_ID.test(d.runId))
    throw new InputError("malformed job: runId must be a hex id");
  if (!Number.isSafeInteger(d.k) || (d.k as number) < 0)
    throw new InputError(`malformed job: task number ${String(d.k)} is not an integer >= 0`);
  return { runId: d.runId, k: d.k as number };
}

/** A typed array as JSON. */
interface WireArray {
  type: (typeof ARRAY_TYPES)[number];
  base64: string;
}

const ARRAY_TYPES = [
  "Float64Array",
  "Float32Array",
  "Int32Array",
  "Uint32Array",
  "Int16Array",
  "Uint16Array",
  "Int8Array",
  "Uint8Array",
] as const;
const CONSTRUCTORS = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
};

/** A task result as JSON (what a job returns). */
export interface WireResult {
  task: number;
  bytesRead: number;
  bytesWritten: number;
  decodes: number;
  data?: (WireArray | null)[];
  states?: WireArray[][];
}

function encodeArray(a: NumberArray): WireArray {
  const type = a.constructor.name as WireArray["type"];
  if (!ARRAY_TYPES.includes(type)) throw new Error(`cannot send a ${type} as a task result`);
  return { type, base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64") };
}

function decodeArray(w: unknown): NumberArray {
  const a = w as WireArray;
  if (!a || !ARRAY_TYPES.includes(a.type) || typeof a.base64 !== "string")
    throw new InputError("malformed task result: bad array");
  const bytes = Buffer.from(a.base64, "base64");
  const C = CONSTRUCTORS[a.type];
  if (bytes.byteLength % C.BYTES_PER_ELEMENT !== 0)
    throw new InputError(
      `malformed task result: ${bytes.byteLength} bytes is not a whole ${a.type}`,
    );
  // copy into a fresh, aligned buffer
  const out = new C(bytes.byteLength / C.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** A partial reduction state: always float64. */
function decodeState(w: unknown): Float64Array {
  const a = decodeArray(w);
  if (!(a instanceof Float64Array))
    throw new InputError("malformed task result: a reduction state must be a Float64Array");
  return a;
}

/** A task's result for the trip back through Redis. */
export function encodeResult(r: TaskResult): WireResult {
  return {
    task: r.task,
    bytesRead: r.bytesRead,
    bytesWritten: r.bytesWritten,
    decodes: r.decodes,
    ...(r.data ? { data: r.data.map((a) => (a ? encodeArray(a) : null)) } : {}),
    ...(r.states ? { states: r.states.map((s) => s.map(encodeArray)) } : {}),
  };
}

/** A result back from a worker, checked to be task `k`'s. */
export function decodeResult(value: unknown, k: number): TaskResult {
  const w = (typeof value === "string" ? JSON.parse(value) : value) as WireResult | null;
  if (!w || typeof w !== "object" || w.task !== k)
    throw new InputError(`malformed result for task ${k}`);
  const count = (n: unknown) => (Number.isFinite(n) ? (n as number) : 0);
  return {
    task: k,
    bytesRead: count(w.bytesRead),
    bytesWritten: count(w.bytesWritten),
    decodes: count(w.decodes),
    ...(w.data ? { data: w.data.map((a) => (a === null ? undefined : decodeArray(a))) } : {}),
    ...(w.states ? { states: w.states.map((s) => s.map(decodeState)) } : {}),
  };
}
