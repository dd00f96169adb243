import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { DaeError } from "../../src/util/errors.js";

/** Asserts `e` is a one-line `DaeError` (of `kind`) whose message contains every string of `parts`. */
export function assertUserError(
  e: unknown,
  parts: string[],
  kind: typeof DaeError = DaeError,
): true {
  assert.ok(e instanceof kind, `expected a ${kind.name}, got ${(e as Error)?.stack ?? e}`);
  assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
  for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" should name ${p}`);
  return true;
}

/** Asserts a CLI run failed as a user error: exit 1, one `dae: ` line naming every part, nothing on stdout. */
export function assertCliError(
  r: { code: number | null; stdout: string; stderr: string },
  parts: string[],
): void {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^dae: [^\n]*\n$/, "one line on stderr");
  assert.doesNotMatch(r.stderr, /internal error/);
  for (const p of parts) assert.ok(r.stderr.includes(p), `"${r.stderr.trim()}" should name ${p}`);
}

/** Every file under `dir`, relative to it. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) =>
      path.relative(
        dir,
        path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name),
      ),
    );
}

/** Asserts a Zarr output is not marked complete (no root metadata) and left no temporary files. */
export function assertNotComplete(out: string): void {
  const files = filesUnder(out);
  for (const root of ["zarr.json", ".zgroup", ".zmetadata", ".zattrs"])
    assert.ok(!files.includes(root), `${out} must not have root ${root} (it would look complete)`);
  assert.deepEqual(
    files.filter((f) => f.endsWith(".partial")),
    [],
    "temporary .partial files are cleaned up",
  );
}
