// The layers of src/, lowest first: a file may import its own layer and those below it, never
// one above (DESIGN.md; each folder's README says what it holds).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const layers = [
  "util",
  "storage",
  "array",
  "formats",
  "dataset",
  "core",
  "plan",
  "exec",
  "api",
  "render",
  "cli",
];

const srcRoot = path.resolve("src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(c|m)?ts$/.test(name) && !name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The layer a path under src/ belongs to (undefined for src/index.ts, the package's face). */
function layerOf(file: string): string | undefined {
  const top = path.relative(srcRoot, file).split(path.sep)[0];
  return layers.includes(top) ? top : undefined;
}

/** Relative module specifiers imported or re-exported by a source text, dynamic ones too. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of text.matchAll(re)) found.push(m[1]);
  return found;
}

test("layers: no file in src/ imports from a higher layer", () => {
  const offences: string[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const own = layerOf(file);
    if (own === undefined) continue;
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      const target = layerOf(path.resolve(path.dirname(file), spec));
      if (target !== undefined && layers.indexOf(target) > layers.indexOf(own))
        offences.push(`${path.relative(srcRoot, file)} (${own}) imports ${spec} (${target})`);
    }
  }
  assert.deepEqual(offences, []);
});

test("layers: every layer folder has a README saying what it may import", () => {
  for (const layer of layers) {
    const text = readFileSync(path.join(srcRoot, layer, "README.md"), "utf8");
    assert.match(text, /may import/i, `src/${layer}/README.md`);
  }
});

test("layers: the import scanner sees static, re-exported and dynamic imports", () => {
  const text = [
    'import { a } from "../plan/plan.js";',
    'export { b } from "./b.js";',
    'const c = await import("../cli/main.js");',
    'import "../exec/side-effect.js";',
    'import { d } from "node:fs";',
  ].join("\n");
  assert.deepEqual(importsOf(text), [
    "../plan/plan.js",
    "./b.js",
    "../cli/main.js",
    "../exec/side-effect.js",
  ]);
});
