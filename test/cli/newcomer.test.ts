// What a newcomer meets first: the version, each command's help with examples that run, and
// plain refusals for the slips people make (a size without a unit, a picture's name for a store,
// a label outside the map).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { helpExamples } from "../../src/cli/help-examples.js";
import { dae, fixture, tempDir } from "../helpers.js";

/** Splits a shell command line of the examples (words, '…' and "…" quotes) into arguments. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

test("dae --version prints package.json's version", () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8"));
  for (const flag of ["--version", "-V"]) {
    const r = dae([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  }
});

test("every command's --help shows examples, and those on the shared fixtures run", (t) => {
  const commands = shellWords(dae(["--help"]).stdout.split("Commands:")[1] ?? "")
    .filter((w) => /^[a-z]+$/.test(w))
    .filter((w) => w in helpExamples || w === "help");
  for (const name of Object.keys(helpExamples)) {
    assert.ok(commands.includes(name), `dae --help lists ${name}`);
    const help = dae([name, "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Examples:\n {2}\$ dae /, `dae ${name} --help`);
  }
  const file = fixture(t, "eraint_uvz.nc");
  if (!file) return;
  const fixtures = path.dirname(file);
  // the examples that read only fixtures, run in a folder of their own
  const cwd = tempDir(t);
  const runnable = Object.values(helpExamples)
    .flat()
    .filter((e) => e.includes("../shared/fixtures/"));
  assert.ok(runnable.length >= 5, runnable.join("\n"));
  for (const example of runnable) {
    const args = shellWords(example)
      .slice(1)
      .map((w) => w.replace("../shared/fixtures", fixtures));
    const r = dae(args, { cwd });
    assert.equal(r.code, 0, `${example}: ${r.stderr}`);
  }
});

test("a size without a unit is refused, not read as bytes", () => {
  const r = dae(["run", "-i", "x.zarr", "-e", "x", "--print", "--memory", "512"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'dae: --memory: "512" has no unit: write e.g. 512MB or 512GB (B for bytes)\n',
  );
  const bytes = dae(["plan", "-i", "missing.zarr", "-e", "x", "--memory", "512B"]);
  assert.doesNotMatch(bytes.stderr, /memory/, "512B is a size (the missing input is the error)");
});

test("-o with a picture's or another format's name is refused before anything is written", (t) => {
  const dir = tempDir(t);
  for (const name of ["z.png", "z.nc", "z.tif"]) {
    const out = path.join(dir, name);
    const run = dae(["run", "-i", "in.zarr", "-e", "x", "-o", out]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`^dae: -o ${out.replace(/\./g, "\\.")}: writes a Zarr store`),
    );
    const convert = dae(["convert", "in.zarr", out]);
    assert.equal(convert.code, 1);
    assert.match(convert.stderr, /writes a Zarr store/);
    assert.ok(!existsSync(out), `${out} was not created`);
  }
});

test("dae plot --sel outside a coordinate's labels is refused, naming the range", (t) => {
  const file = fixture(t, "eraint_uvz.nc");
  if (!file) return;
  const png = path.join(tempDir(t), "z.png");
  for (const sel of ["month=1,level=5000", "month=1,level=3000..4000", "month=12,level=500"]) {
    const r = dae(["plot", file, "--var", "z", "--sel", sel, "-o", png]);
    assert.equal(r.code, 1, `${sel}: ${r.stdout}`);
    assert.match(
      r.stderr,
      /^dae: --sel \w+=[\d.]+: outside (level|month)'s labels \d+ … \d+ \(\d labels\); nothing to draw\n$/,
    );
    assert.ok(!existsSync(png));
  }
  // a label between two is still the nearest one, as before
  const near = dae(["plot", file, "--var", "z", "--sel", "month=1,level=520", "-o", png]);
  assert.equal(near.code, 0, near.stderr);
  assert.match(near.stdout + near.stderr, /level=500/);
});
