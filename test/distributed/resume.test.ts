import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { recordedProgress } from "../../src/exec/resume.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression, type ChildRun } from "./run-child.js";
import { nodeArgs, spawnNode, type Child } from "./servers.js";

/** A small deterministic generator, so a failing chaos run can be replayed from its seed (DAE_CHAOS_SEED). */
function random(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/**
 * Kills `child` at a random moment: after a random share of its tasks finished, or a random
 * time after its start (setup included) within about the run's length, `runMs`.
 */
async function killSomewhen(
  child: Child,
  rand: () => number,
  byProgress: boolean,
  runMs: number,
): Promise<void> {
  const progress = (line: string) => line.split(" ").slice(1).map(Number);
  const moment = byProgress
    ? child
        .waitFor(/^progress /)
        .then((first) => {
          const target = Math.ceil(rand() * progress(first)[1] * 0.8);
          return child.waitFor((l) => l.startsWith("progress ") && progress(l)[0] >= target);
        })
        .catch(() => undefined)
    : new Promise((r) => setTimeout(r, 150 + rand() * (300 + runMs)));
  await Promise.race([moment, child.exited]);
  child.process.kill("SIGKILL");
  await child.exited;
}

for (const executor of ["threads", "inline"] as const) {
  test(`${executor}: runs killed (kill -9) at random moments, then resumed, end with the bytes of an uninterrupted run`, async (t) => {
    const dir = tempDir(t);
    const input = await writeInput(dir);
    // small tasks: many of them (36 on 4 threads or inline), so that kills find a run going
    const config = {
      executor,
      workers: 4,
      memory: (executor === "inline" ? 768 : 3072) << 10,
    } as const;
    // the reference: the same command, uninterrupted
    const want = path.join(dir, "want.zarr");
    const { vars } = await openDataset(input);
    const started = performance.now();
    await toZarr(expression(vars.a, "anomaly"), want, config);
    const runMs = performance.now() - started;

    const output = path.join(dir, "out.zarr");
    const seed = Number(process.env.DAE_CHAOS_SEED ?? Date.now() % 100000);
    const rand = random(seed);
    let injected = 0;
    let survived = 0;
    for (let round = 0; round < 2; round++) {
      rmSync(output, { recursive: true, force: true });
      const run: ChildRun = { input, output, expr: "anomaly", resume: true, ...config };
      let faults = 0;
      let done = 0;
      for (let attempt = 0; faults < 3 && attempt < 8; attempt++) {
        const child = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]));
        await killSomewhen(child, rand, attempt % 2 === round % 2, runMs);
        if (child.lines.some((l) => l.startsWith("done"))) {
          // finished before the kill: no fault. Before any, the round starts over (a small
          // run can end before a kill lands); after some, what they left is checked below
          if (faults > 0) break;
          rmSync(output, { recursive: true, force: true });
          continue;
        }
        faults++;
        const records = await recordedProgress(output);
        // killed after the output was complete and its records removed: all is done (as in scripts/chaos.mjs)
        const now =
          !records && existsSync(path.join(output, "zarr.json")) ? Infinity : (records?.done ?? 0);
        assert.ok(now >= done, "records only grow");
        done = now;
      }
      if (faults === 0) continue;
      const records = await recordedProgress(output);
      // killed after the output was complete (records removed), the next run finds nothing to do
      const complete = !records && existsSync(path.join(output, "zarr.json"));
      if (records) {
        // a plain run over what was left says it is unfinished and how to go on
        const plain = await toZarr(expression(vars.a, "anomaly"), output, {
          executor: "inline",
        }).then(
          () => "",
          (e: Error) => e.message,
        );
        assert.ok(
          plain.includes(
            `exists and is unfinished (${records.done} of ${records.tasks} tasks done): continue it with --resume, or start again with --overwrite`,
          ),
          plain,
        );
      }
      const resumed = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]));
      const [skipped, total] = (await resumed.waitFor(/^done /, 180_000))
        .split(" ")
        .slice(1)
        .map(Number);
      assert.equal(await resumed.exited, 0, resumed.stderr.join(""));
      assert.equal(
        skipped,
        records ? records.done : complete ? total : 0,
        "a resumed run skips exactly the tasks recorded done",
      );
      assert.ok(
        !existsSync(path.join(output, ".dae")),
        "the records are removed once the output is complete",
      );
      assertSameStores(storeFiles(output), storeFiles(want));
      t.diagnostic(
        `round ${round}: ${faults} kills, ${records?.done ?? 0} of ${total} tasks recorded done before the last run`,
      );
      injected += faults;
      survived += faults;
    }
    t.diagnostic(
      `seed ${seed}: ${injected} faults injected, ${survived} survived, ${injected - survived} lost`,
    );
    assert.ok(injected >= 2, `only ${injected} kills hit a running run`);
  });
}

test("a run recorded before scratch buffers were counted resumes with none of them budgeted", async (t) => {
  const { fromArray } = await import("../../src/api/open-dataset.js");
  const { plan } = await import("../../src/api/compute.js");
  const { openOutputRun } = await import("../../src/exec/resume.js");
  const { readFileSync, writeFileSync } = await import("node:fs");
  const out = path.join(tempDir(t), "old.zarr");
  const a = fromArray(new Float32Array(64), {
    shape: [8, 8],
    dims: ["y", "x"],
    chunks: [4, 4],
    name: "a",
  });
  const p = plan([a], [{ kind: "zarr", url: out, path: "a", zarrFormat: 3 }], { memory: "64MB" });
  assert.ok(p.memory.scratchBytes > 0);
  const first = await openOutputRun(out, p);
  await first.release();
  const file = path.join(out, ".dae", "plan.json");
  const record = JSON.parse(readFileSync(file, "utf8"));
  delete record.plan.memory.scratchBytes;
  writeFileSync(file, JSON.stringify(record));
  const resumed = await openOutputRun(out, p, { resume: true });
  try {
    assert.equal(resumed.plan.memory.scratchBytes, 0);
    assert.equal(resumed.doneBefore, 0);
  } finally {
    await resumed.release();
  }
});
