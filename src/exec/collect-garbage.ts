import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | undefined;

/**
 * A full garbage collection, run by worker threads and `dae worker` between tasks. V8 frees
 * the memory of typed arrays only when it collects, and left alone it keeps the dead blocks
 * of several finished tasks: resident memory then runs far past what the planner promised
 * for the running tasks (W3 at --memory 256MB: 484 MB resident before, see the README). A
 * collection of a worker's small heap takes milliseconds; a task takes far longer.
 */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
}
