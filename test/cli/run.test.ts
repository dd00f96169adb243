import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { assertClose, dae, fixture, fixturesDir, python, tempDir } from "../helpers.js";
import {
  pairCases,
  pairInputs,
  singleCases,
  singleInput,
  type ExpressionCase,
} from "../oracles/fixture-cases.js";
import { xarrayEval, type OracleInput } from "../oracles/xarray-eval.js";

const inputArgs = (inputs: OracleInput[]) =>
  inputs.flatMap((i) => ["-i", i.name ? `${i.name}=${i.path}` : i.path]);

/** `dae run --print` of each case, with both executors, against xarray. */
function checkPrinted(inputs: OracleInput[], cases: ExpressionCase[]) {
  const want = xarrayEval(
    inputs,
    cases.map((c) => c.xarray),
  );
  for (const executor of ["threads", "inline"]) {
    for (const [k, c] of cases.entries()) {
      const r = dae(["run", ...inputArgs(inputs), "-e", c.dae, "--print", "--executor", executor]);
      const what = `${c.dae} (${executor})`;
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      // stderr is not a terminal: one summary line
      assert.match(r.stderr, /^computed \w+ \(.*\) \w+: \d+ tasks in .*: read .*\n$/, what);
      const got = JSON.parse(r.stdout);
      assert.deepEqual(got.dims, want[k].dims, what);
      assert.deepEqual(got.shape, want[k].shape, what);
      assert.equal(got.dtype, want[k].dtype, what);
      assert.deepEqual(Object.keys(got.coords), Object.keys(want[k].coords), what);
      for (const d of Object.keys(got.coords))
        assert.deepEqual(got.coords[d], want[k].coords[d], `${what}: coord ${d}`);
      assertClose(got.data, want[k].data as (number | null)[], 1e-5, c.atol ?? 0, what);
    }
  }
}

test("dae run --print over eraint_uvz.nc equals xarray (threads and inline)", (t) => {
  if (!fixture(t, "eraint_uvz.nc")) return;
  checkPrinted(singleInput(fixturesDir!), singleCases);
});

test("dae run --print over two inputs whose chunks do not line up equals xarray", (t) => {
  if (!fixture(t, "eraint_uvz.zarr")) return;
  checkPrinted(pairInputs(fixturesDir!), pairCases);
});

/** Runs `-o` (Zarr v2) for each case and reads the stores back with xarray, comparing with xarray's own result. */
function checkWritten(
  t: TestContext,
  inputs: OracleInput[],
  cases: (ExpressionCase & { name?: string; format: 2 })[],
  extra: string[] = [],
) {
  const dir = tempDir(t);
  const stores = cases.map((c, k) => {
    const out = path.join(dir, `r${k}.zarr`);
    const args = [
      "run",
      ...inputArgs(inputs),
      "-e",
      c.dae,
      "-o",
      out,
      "--zarr-format",
      String(c.format),
      ...extra,
    ];
    const r = dae(c.name ? [...args, "--name", c.name] : args);
    assert.equal(r.code, 0, `${c.dae}: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`^wrote ${out.replace(/[.]/g, "\\.")} \\(Zarr v${c.format}\\): `),
      c.dae,
    );
    return out;
  });
  const check = python<{ name: string; dims: string[]; max: number; coords: boolean }[]>(`
spec = json.loads(${JSON.stringify(JSON.stringify({ inputs, cases, stores }))})
scope = {"xr": xr, "np": np}
for i in spec["inputs"]:
    ds = xr.open_zarr(i["path"]) if i["path"].endswith(".zarr") else xr.open_dataset(i["path"])
    if i.get("name"): scope[i["name"]] = ds
    else: scope.update({k: ds[k] for k in ds.variables})
out = []
for c, store in zip(spec["cases"], spec["stores"]):
    want = eval(c["xarray"], scope).load()
    got = xr.open_zarr(store, consolidated=True)
    name = list(got.data_vars)[0]
    g = got[name].load()
    err = np.abs(g.values - want.values) - 1e-5 * np.maximum(np.abs(g.values), np.abs(want.values)) - c.get("atol", 0)
    out.append({"name": name, "dims": list(g.dims), "max": float(np.nanmax(err)) if err.size else 0.0,
                "coords": all(np.array_equal(g[d].values, want[d].values) for d in g.dims if d in want.coords)})
print(json.dumps(out))
`);
  cases.forEach((c, k) => {
    assert.ok(check[k].max <= 0, `${c.dae}: off by ${check[k].max} beyond tolerance`);
    assert.ok(check[k].coords, `${c.dae}: coordinates differ`);
    if (c.name) assert.equal(check[k].name, c.name);
  });
  return check;
}

test("dae run -o writes Zarr v2 stores that xarray reads back with xarray's values", (t) => {
  if (!fixture(t, "eraint_uvz.nc")) return;
  const check = checkWritten(t, singleInput(fixturesDir!), [
    { ...singleCases[0], format: 2 },
    { ...singleCases[8], format: 2, name: "anomaly" },
  ]);
  assert.equal(check[0].name, "z", "named after the first input variable");
  assert.deepEqual(check[1].dims, ["month", "level", "latitude", "longitude"]);
});

test("dae run -o writes Zarr v3 (the default) that reads back with xarray's values", (t) => {
  if (!fixture(t, "eraint_uvz.nc")) return;
  // Debian's zarr 2 cannot read Zarr v3: read the store back with dae, compare with xarray's values
  const out = path.join(tempDir(t), "speed.zarr");
  const c = singleCases[9];
  const r = dae([
    "run",
    ...inputArgs(singleInput(fixturesDir!)),
    "-e",
    c.dae,
    "-o",
    out,
    "--name",
    "speed",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^wrote .*speed\.zarr \(Zarr v3\): speed \(month=2, level=3, latitude=241, longitude=480\) float64: \d+ tasks in /,
  );
  const back = dae(["run", "-i", out, "-e", "speed", "--print", "--quiet"]);
  assert.equal(back.code, 0, back.stderr);
  const got = JSON.parse(back.stdout);
  const [want] = xarrayEval(singleInput(fixturesDir!), [c.xarray]);
  assert.deepEqual(
    [got.dims, got.shape, got.dtype, got.coords],
    [want.dims, want.shape, want.dtype, want.coords],
  );
  assertClose(got.data, want.data as number[], 1e-5, 0, c.dae);
});

test("dae run -o over non-aligned inputs, inline executor, reads back equal to xarray", (t) => {
  if (!fixture(t, "eraint_uvz.zarr")) return;
  checkWritten(
    t,
    pairInputs(fixturesDir!),
    pairCases.slice(1).map((c) => ({ ...c, format: 2 as const })),
    ["--executor", "inline"],
  );
});

test("dae run --progress json: one JSON object per line, tasksDone reaches tasksTotal; --quiet prints nothing", (t) => {
  const src = fixture(t, "eraint_uvz.zarr");
  if (!src) return;
  const dir = tempDir(t);
  const r = dae([
    "run",
    "-i",
    src,
    "-e",
    'z - z.mean("longitude")',
    "-o",
    path.join(dir, "p.zarr"),
    "--progress",
    "json",
    "--workers",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(lines.length >= 1);
  for (const p of lines)
    for (const k of ["tasksDone", "tasksTotal", "bytesRead", "bytesWritten", "elapsedSeconds"])
      assert.equal(typeof p[k], "number", k);
  const last = lines[lines.length - 1];
  assert.ok(last.tasksTotal > 0);
  assert.equal(last.tasksDone, last.tasksTotal);
  assert.ok(last.bytesRead > 0 && last.bytesWritten > 0);
  const quiet = dae(["run", "-i", src, "-e", "z.mean()", "--print", "--quiet"]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  assert.equal(JSON.parse(quiet.stdout).data.length, 1);
});

test("dae run refuses bad expressions, inputs and options in one line, exit 1, no stack", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const dir = tempDir(t);
  const run = (...args: string[]) => dae(["run", "-i", src, ...args]);
  const cases: [string[], RegExp][] = [
    [
      ["-e", "q + 1", "--print"],
      /^dae: expression: unknown name "q" \(names: .*\) at character 1: q \+ 1$/,
    ],
    [
      ["-e", 'z.mean("lat")', "--print"],
      /^dae: expression: z: no dimension "lat" \(dimensions: month, level, latitude, longitude\)$/,
    ],
    [
      // aligned by label: latitudes in common, none here
      ["-e", "z.isel({latitude: slice(0, 3)}) + u.isel({latitude: slice(3, 6)})", "--print"],
      /^dae: expression: add: dimension "latitude" has no label in common between z \(latitude 90…88\.5, 3 labels\) and u \(latitude 87\.75…86\.25, 3 labels\)$/,
    ],
    [
      ["-e", 'z.mean("month"))', "--print"],
      /^dae: expression: unexpected "\)" at character 16: z\.mean\("month"\)\)$/,
    ],
    [["-e", "z.mean(", "--print"], /^dae: expression: .* at character 8: z\.mean\($/],
    [
      ["-e", "z", "--print", "--memory", "lots"],
      /^dae: --memory: "lots" is not a size like 512MB or 2GB$/,
    ],
    [
      ["-e", 'z - z.mean("longitude")', "-o", path.join(dir, "x.zarr"), "--memory", "1KB"],
      /^dae: .*over .*budget.*--memory/,
    ],
    [
      ["-e", "z", "--print", "--workers", "0"],
      /^dae: --workers: must be a positive integer, got "0"$/,
    ],
    [["-e", "z", "--print", "--zarr-format", "4"], /^dae: --zarr-format: must be 2 or 3, got "4"$/],
    [
      ["-e", "z", "--print", "--executor", "gpu"],
      /^dae: --executor: must be threads, inline or distributed, got "gpu"$/,
    ],
    [["-e", "z"], /^dae: where should the result go\? give -o OUT\.zarr or --print$/],
    [
      ["-e", "z", "--print", "-o", path.join(dir, "y.zarr")],
      /^dae: give either -o OUT\.zarr or --print, not both$/,
    ],
    [
      ["-e", "z.expandDims({t: 3})", "--print"],
      /^dae: the result has 2082240 values .* too many to print .*: write it with -o OUT\.zarr$/,
    ],
    [
      ["-e", "z", "--print", "--progress", "xml"],
      /^dae: --progress: only "json" is supported, got "xml"$/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const r = run(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.match(lines[0], pattern, args.join(" "));
    assert.ok(
      lines.length === 1 || (lines.length === 2 && /^ *\^$/.test(lines[1])),
      `${args.join(" ")}: ${r.stderr}`,
    );
    assert.equal(r.stdout, "");
  }
  // the caret line points at the offending character
  const syntax = run("-e", 'z.mean("month"))', "--print").stderr.split("\n");
  assert.equal(syntax[1].length - 1, syntax[0].indexOf('z.mean("month"))') + 15);
  const none = dae(["run", "-e", "1 + 1", "--print"]);
  assert.deepEqual(
    [none.code, none.stderr],
    [1, "dae: no input: give one or more with -i [NAME=]PATH\n"],
  );
  const missing = dae(["run", "-i", path.join(dir, "nope.nc"), "-e", "z", "--print"]);
  assert.deepEqual(
    [missing.code, missing.stderr],
    [1, `dae: no such file or directory: ${path.join(dir, "nope.nc")}\n`],
  );
  assert.ok(!existsSync(path.join(dir, "x.zarr")), "a plan that does not fit writes nothing");
});

test("dae run: inputs without a name share a variable name only if the expression does not use it", (t) => {
  const nc = fixture(t, "eraint_uvz.nc");
  if (!nc) return;
  const zarr = `${fixturesDir}/eraint_uvz.zarr`;
  const r = dae(["run", "-i", nc, "-i", zarr, "-e", "z.mean()", "--print"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^dae: expression: "z" is a variable of several inputs \(.*\): name them, e\.g\. -i a=.*, and write a\.z\n$/,
  );
  const named = dae([
    "run",
    "-i",
    nc,
    "-i",
    `b=${zarr}`,
    "-e",
    "(z - b.z).max()",
    "--print",
    "--quiet",
  ]);
  assert.equal(named.code, 0, named.stderr);
  assert.ok(Math.abs(JSON.parse(named.stdout).data[0]) < 0.01);
});
