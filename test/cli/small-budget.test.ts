import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openDataset } from "../../src/api/open-dataset.js";
import { load } from "../../src/api/compute.js";
import { dae, fixture, fixturesDir, hasPythonOracle, python, tempDir } from "../helpers.js";

// eraint_uvz.nc is one NetCDF-3 chunk: at 64 MB it plans on 2 workers with the defaults; at
// 30 MB only the lean plan fits
test("a budget too small for the default chunk cache and scratch buffers plans lean on one worker instead of refusing, and runs to xarray's answer", async (t) => {
  const file = fixture(t, "eraint_uvz.nc");
  if (!file || !hasPythonOracle()) return;
  const out = path.join(tempDir(t), "zmean.zarr");
  const args = ["-i", `${fixturesDir}/eraint_uvz.nc`, "-e", 'z.mean("month")', "--memory", "30MB"];
  const p = dae(["plan", ...args, "--workers", "2", "--json"]);
  assert.equal(p.code, 0, p.stderr);
  const planned = JSON.parse(p.stdout);
  assert.equal(planned.memory.workers, 1);
  assert.equal(planned.memory.scratchBytes, 0);
  assert.ok(planned.memory.total <= 30 << 20, `total ${planned.memory.total}`);
  assert.ok(
    planned.notes.some((n: string) => /^a small budget: /.test(n)),
    planned.notes.join("\n"),
  );
  // with room for the defaults, the plan keeps them
  const roomy = JSON.parse(dae(["plan", ...args.slice(0, -1), "1GB", "--json"]).stdout);
  assert.ok(roomy.memory.scratchBytes > 0);
  const r = dae(["run", ...args, "--workers", "2", "-o", out, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const got = await load((await openDataset(out)).vars.z, { executor: "inline" });
  const want = python<number[]>(`
ds = xr.open_dataset(${JSON.stringify(file)})
print(json.dumps(ds.z.mean("month").values.ravel().tolist()))`);
  assert.equal(got.data.length, want.length);
  for (let i = 0; i < want.length; i++)
    if (Math.abs(got.data[i] - want[i]) > 1e-9 * Math.abs(want[i]))
      assert.fail(`element ${i}: ${got.data[i]}, xarray ${want[i]}`);
});
