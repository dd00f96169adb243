import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | undefined;

/**
 * A full garbage collection when this thread's array buffers hold more than `allowance`
 * bytes, run by worker threads and `dae worker` after every task. V8 frees the memory of
 * typed arrays only when it collects, and left alone it keeps the dead blocks of several
 * finished tasks: resident memory then runs past what the planner promised. The allowance is
 * the part of a worker's share of the budget its largest task leaves unused: dead blocks may
 * fill that, never more, and runs with room to spare collect less often (a full collection
 * costs tens of milliseconds).
 */
export function collectGarbage(allowance = 0): void {
  if (allowance > 0 && process.memoryUsage().arrayBuffers <= allowance) return;
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
}
