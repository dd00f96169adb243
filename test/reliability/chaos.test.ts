import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

// scripts/chaos.mjs runs the compiled library (dist/src): this test runs after the build
const chaos = (args: string[]) =>
  spawnSync(process.execPath, [path.resolve("scripts", "chaos.mjs"), ...args], {
    encoding: "utf8",
    timeout: 600_000,
  });

test("chaos script: 5 runs killed (kill -9) and resumed, none lost", () => {
  const r = chaos(["--faults", "5", "--quiet", "--seed", "4242"]);
  const lines = r.stdout.trim().split("\n");
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(lines[lines.length - 1], /^5 faults injected, 5 survived, 0 lost$/);
});

test("chaos script: a bad flag is one line on stderr and exit 2", () => {
  const r = chaos(["--frobnicate"]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^chaos: [^\n]*--frobnicate[^\n]*\n$/);
});
