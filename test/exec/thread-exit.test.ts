import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { workerFile } from "../../src/exec/thread-executor.js";

/**
 * How piscina starts a worker thread on `file`: require() (or import() where that throws),
 * then a call of the handler; posts what was loaded by require() alone and the handler's answer.
 */
const piscinaStart = (file: string) => `const { parentPort } = require("node:worker_threads");
const f = ${JSON.stringify(file)};
let handler;
try { handler = require(f) } catch { handler = import(require("node:url").pathToFileURL(f).href).then((m) => m.default) }
const esmByRequire = Object.keys(require.cache).filter((k) => k.endsWith(".js"));
Promise.resolve(handler).then((h) => (typeof h === "function" ? h : h.default)("warm-up")).then((answer) => parentPort.postMessage({ esmByRequire, answer: answer ?? null }));`;

function start(file: string): Promise<{ esmByRequire: string[]; answer: unknown }> {
  const worker = new Worker(piscinaStart(file), { eval: true, workerData: {} });
  return new Promise((resolve, reject) =>
    worker.once("message", (m) => resolve(worker.terminate().then(() => m))).once("error", reject),
  );
}

test("worker threads load the engine with import(), never require(esm), so a thread ended while loading cannot abort the process", async () => {
  const file = fileURLToPath(workerFile);
  // the check itself sees require(esm): piscina given the ES module directly loads it by require()
  const direct = await start(fileURLToPath(new URL("thread-worker.js", workerFile)));
  assert.ok(
    direct.esmByRequire.some((k) => k.endsWith("thread-worker.js")),
    JSON.stringify(direct),
  );
  // the file piscina is given loads no ES module by require(), and its handler runs tasks
  assert.deepEqual(await start(file), { esmByRequire: [], answer: null });

  // threads ended at random moments of their loading, as a process exiting right after a
  // warm-up ends them: with require(esm), 4 of 5 processes that ended 300 such threads aborted
  // (V8 fatal error); 80 make this check likely, not certain, to catch it — the one above is
  const child = `import { Worker } from "node:worker_threads";
    for (let i = 0; i < 80; i++) {
      const w = new Worker(${JSON.stringify(piscinaStart(file))}, { eval: true, workerData: {} });
      w.on("error", () => {});
      await new Promise((r) => setTimeout(r, Math.random() * 120));
      await w.terminate();
    }`;
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = execFile(process.execPath, ["--input-type=module", "-e", child], (_e, _out, stderr) =>
      resolve({ code: p.exitCode, stderr }),
    );
  });
  assert.equal(result.code, 0, result.stderr.slice(0, 400));
});
