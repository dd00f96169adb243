import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { workerExecArgv } from "../../src/exec/thread-executor.js";

const workerPath = fileURLToPath(new URL("../../src/exec/thread-worker.js", import.meta.url));

/** How piscina loads a worker's task file: require() first, import() when that throws. */
const piscinaLoad = `const f = ${JSON.stringify(workerPath)};
try { require(f); require("node:worker_threads").parentPort.postMessage("require") }
catch (e) { import(require("node:url").pathToFileURL(f).href).then(() => require("node:worker_threads").parentPort.postMessage("import:" + e.code)) }`;

test("worker threads load the engine with import(), never require(esm), so a thread ended while loading cannot abort the process", async () => {
  const worker = new Worker(piscinaLoad, { eval: true, workerData: {}, execArgv: workerExecArgv });
  const how = await new Promise<string>((resolve, reject) => worker.once("message", resolve).once("error", reject));
  await worker.terminate();
  assert.equal(how, "import:ERR_REQUIRE_ESM");

  // threads ended at random moments of their loading, as a process exiting right after a
  // warm-up ends them: with require(esm) about one run in two of this aborts (V8 fatal error)
  const child = `import { Worker } from "node:worker_threads";
    const execArgv = ${JSON.stringify(workerExecArgv)};
    for (let i = 0; i < 80; i++) {
      const w = new Worker(${JSON.stringify(piscinaLoad)}, { eval: true, workerData: {}, execArgv });
      w.on("error", () => {});
      await new Promise((r) => setTimeout(r, Math.random() * 120));
      await w.terminate();
    }`;
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = execFile(process.execPath, ["--input-type=module", "-e", child], (_e, _out, stderr) => resolve({ code: p.exitCode, stderr }));
  });
  assert.equal(result.code, 0, result.stderr.slice(0, 400));
});
