import type { SourceNode } from "../core/graph.js";
import { visitBoxes } from "../plan/propagate.js";
import { blockBox, taskAt, totalTasks, type Plan } from "../plan/plan.js";
import { openTarget } from "./targets.js";

/**
 * Tells, task by task, which chunks of the sources in `releasable` (ids of rechunk
 * intermediates: Zarr arrays the run may delete from) no task still to run will read, and
 * deletes them: the disk then never holds the whole intermediate and the whole output at
 * once, and where the intermediate went through the page cache (no direct I/O), its freed
 * pages serve the output's writes (writing into fresh pages costs several times more system
 * time: bench/README.md, "Measurements behind the design").
 *
 * Each chunk counts the tasks that read it; `taskDone(k)` (called once task k's writes are
 * recorded, so a resumed run never needs a deleted chunk) deletes those that reach zero, one
 * file at a time in the background: a delete can take long while the disk is busy, and a run
 * that waited for it would leave its workers idle or fill the thread pool its reads need. `settled()` waits for the deletes, throwing the
 * first failure. Tasks skipped on resume are not counted: their chunks may be gone already.
 * Split reductions read by part ranges, which this does not follow: they delete nothing.
 */
export function chunkReleaser(
  plan: Plan,
  releasable: Set<string>,
  skip: (k: number) => boolean = () => false,
): { taskDone(k: number): void; settled(): Promise<void> } {
  let deletes: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const settled = async () => {
    await deletes;
    if (failure) throw failure.error;
  };
  if (releasable.size === 0 || plan.groups.some((g) => g.split))
    return { taskDone: () => undefined, settled };
  const readers = new Map<string, number>();
  const total = totalTasks(plan);
  for (let k = 0; k < total; k++)
    if (!skip(k))
      for (const key of chunksRead(plan, k, releasable))
        readers.set(key, (readers.get(key) ?? 0) + 1);
  const taskDone = (k: number) => {
    for (const key of chunksRead(plan, k, releasable)) {
      const left = (readers.get(key) ?? 0) - 1;
      if (left > 0) {
        readers.set(key, left);
        continue;
      }
      if (!readers.delete(key)) continue;
      const [id, coords] = JSON.parse(key) as [string, number[]];
      deletes = deletes
        .then(() => (failure ? undefined : deleteChunk(plan.graph[id] as SourceNode, coords)))
        .catch((error: unknown) => void (failure ??= { error }));
    }
  };
  return { taskDone, settled };
}

/** Deletes chunk `coords` of a Zarr source, opened writable as an output is. */
async function deleteChunk(source: SourceNode, coords: number[]): Promise<void> {
  if (source.ref.kind !== "dataset") return;
  const array = await openTarget({
    kind: "zarr",
    url: source.ref.url,
    path: source.ref.variable,
    zarrFormat: 3,
  });
  await array.deleteChunk?.(coords);
}

/** Keys (`[source id, chunk coords]`) of the releasable sources' chunks that task k reads. */
function chunksRead(plan: Plan, k: number, releasable: Set<string>): string[] {
  const task = taskAt(plan, k);
  const group = plan.groups[task.group];
  const keys = new Set<string>();
  for (const i of group.outputs)
    visitBoxes(
      plan.graph,
      plan.outputs[i].id,
      blockBox(plan, task.group, task.block),
      (node, box) => {
        // intermediates have regular grids: the chunk of an index is a division away
        if (node.op !== "source" || !releasable.has(node.id) || node.chunkSizes?.some(Boolean))
          return;
        const first = box.start.map((s, d) => Math.floor(s / node.chunkShape[d]));
        const last = box.stop.map((s, d) => Math.floor((s - 1) / node.chunkShape[d]));
        if (last.some((l, d) => l < first[d])) return;
        for (const c = [...first]; ;) {
          keys.add(JSON.stringify([node.id, c]));
          let d = c.length - 1;
          for (; d >= 0 && c[d] === last[d]; d--) c[d] = first[d];
          if (d < 0) break;
          c[d]++;
        }
      },
    );
  return [...keys];
}
