import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../helpers.js";

/** Every file under `dir`, relative, sorted. */
function files(dir: string, at = ""): string[] {
  return readdirSync(path.join(dir, at))
    .flatMap((name) => {
      const rel = path.join(at, name);
      return statSync(path.join(dir, rel)).isDirectory() ? files(dir, rel) : [rel];
    })
    .sort();
}

test("docs/reference is what TypeDoc makes of the TSDoc now (run npm run docs:api after changing the public API)", (t) => {
  const out = tempDir(t);
  const r = spawnSync(path.join("node_modules", ".bin", "typedoc"), ["--out", out], {
    encoding: "utf8",
  });
  // typedoc.json treats warnings as errors: every type a public signature names is documented
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const committed = path.join("docs", "reference");
  assert.deepEqual(files(out), files(committed));
  for (const f of files(out))
    assert.equal(
      readFileSync(path.join(out, f), "utf8"),
      readFileSync(path.join(committed, f), "utf8"),
      f,
    );
});
