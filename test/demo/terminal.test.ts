import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { tempDir } from "../helpers.js";

/** Runs a command in a pseudo-terminal (util-linux `script`) and returns everything it printed. */
function inTerminal(command: string): { code: number | null; output: string } {
  const r = spawnSync("script", ["-qfec", command, "/dev/null"], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, COLUMNS: "160" },
  });
  return { code: r.status, output: r.stdout };
}

test("dae demo in a terminal: a progress bar that moves, then the report", (t) => {
  if (spawnSync("script", ["--version"]).status !== 0)
    return t.skip("util-linux script is not installed");
  const dir = path.join(tempDir(t), "demo");
  const bin = path.resolve("bin", "dae.js");
  const { code, output } = inTerminal(
    `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} demo --out ${JSON.stringify(dir)} --size small`,
  );
  assert.equal(code, 0, output);
  // cli-progress redraws one line: carriage movement, the bar's blocks, "done/total unit"
  assert.ok(output.includes("█") && output.includes("░"), "bar characters");
  for (const unit of ["chunks", "tasks"]) {
    const counts = [...output.matchAll(new RegExp(`(\\d+)/(\\d+) ${unit}`, "g"))].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    assert.ok(counts.length >= 2, `${unit}: ${counts.length} updates`);
    const done = new Set(counts.map(([d]) => d));
    assert.ok(done.size >= 2, `the ${unit} bar moves: ${[...done].join(", ")}`);
    assert.ok(
      counts.some(([d, n]) => d === n),
      `the ${unit} bar reaches its end`,
    );
  }
  assert.match(output, /\| pass 1 of 2/);
  // the bar is cleared; the report follows
  assert.match(output, /dae demo: synthetic daily 2 m air temperature/);
  assert.match(output, /peak memory [\d.]+ [MG]B/);
});
