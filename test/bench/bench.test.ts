// Smoke test of the benchmark suite at size S (378 MB raw, M / 8, one run; about a minute with
// the data written): it completes and writes its table, JSON, markdown and chart. Times are never asserted.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hasPythonOracle, tempDir } from "../helpers.js";

const self = fileURLToPath(import.meta.url);
const fromSources = self.endsWith(".ts");
// test/bench/x.test.ts → bench/run.ts; dist/test/bench/x.test.js → dist/bench/run.js
const runScript = path.resolve(
  path.dirname(self),
  "..",
  "..",
  "bench",
  fromSources ? "run.ts" : "run.js",
);

test("bench runs every workload at size S and writes its results", { timeout: 600_000 }, (t) => {
  assert.ok(
    existsSync("/usr/bin/time"),
    "GNU time is needed (scripts/setup-system.sh installs it)",
  );
  assert.ok(hasPythonOracle(), "/usr/bin/python3 with xarray is needed to write the bench cube");
  const dir = tempDir(t, "dae-bench-");
  const out = path.join(dir, "results");
  const r = spawnSync(
    process.execPath,
    [
      ...(fromSources ? ["--import", "tsx"] : []),
      runScript,
      "--size",
      "S",
      "--runs",
      "1",
      "--data",
      path.join(dir, "data"),
      "--out",
      out,
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wall s/);

  const report = JSON.parse(readFileSync(path.join(out, "latest.json"), "utf8"));
  assert.equal(report.size, "S");
  const ids = new Set(report.rows.map((row: { workload: string }) => row.workload));
  for (const w of ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"])
    assert.ok(ids.has(w), `no row for ${w}`);
  for (const row of report.rows) {
    assert.ok(
      ["ok", "missing"].includes(row.status),
      `${row.workload} ${row.tool}: ${row.status}: ${row.note}`,
    );
    if (row.status === "ok") assert.equal(row.runs.length, 1);
  }
  // our engine ran every workload, and its results agree with the peers'
  for (const w of ["W1", "W2", "W3", "W4", "W5", "W6", "W7"])
    assert.equal(
      report.rows.find(
        (row: { workload: string; tool: string }) => row.workload === w && row.tool === "dae",
      ).status,
      "ok",
      w,
    );
  for (const w of ["W1", "W2", "W3", "W4", "W5", "W6"]) {
    const checks = report.rows.filter(
      (row: { workload: string; check?: number }) => row.workload === w && row.check !== undefined,
    );
    for (const c of checks)
      assert.ok(
        Math.abs(c.check - checks[0].check) < 1e-4 * Math.abs(checks[0].check),
        `${w} ${c.tool}: ${c.check}`,
      );
  }
  assert.match(readFileSync(path.join(out, "latest.md"), "utf8"), /\| W1 \|/);
  assert.deepEqual(
    [...readFileSync(path.join(out, "latest.png")).subarray(1, 4)],
    [0x50, 0x4e, 0x47],
  ); // "PNG"
});
