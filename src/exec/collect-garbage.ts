import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | undefined;

/**
 * A full garbage collection, run by worker threads and `dae worker` after every task. V8
 * frees the memory of typed arrays only when it collects, and left alone it keeps the dead
 * blocks of several finished tasks: resident memory then runs past what the planner promised
 * (W3 at --memory 256MB: 484 MB peak RSS without, 343 MB with; collecting only when a
 * thread's typed arrays outgrow a task's projected peak still left 415 MB). A worker's heap
 * is small: a collection costs milliseconds against a task's hundreds.
 */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
}
