import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { fixture, python, tempDir } from "../helpers.js";

test("README's library example runs as printed and its anomaly is xarray's z - z.mean('longitude')", (t) => {
  const file = fixture(t, "eraint_uvz.nc");
  if (!file) return;
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## The library"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "README has a ts block under ## The library");
  const dir = tempDir(t);
  const script = path.join(dir, "example.mjs");
  writeFileSync(
    script,
    code
      .replace(
        '"diskarray-engine"',
        JSON.stringify(pathToFileURL(path.resolve("dist/src/index.js")).href),
      )
      .replace('"../shared/fixtures/eraint_uvz.nc"', JSON.stringify(file)),
  );
  const run = spawnSync(process.execPath, [script], { cwd: dir, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const check = python<{ total: number; err: number; spread: number }>(`
ds = xr.open_dataset(${JSON.stringify(file)})
want = ds.z - ds.z.mean("longitude")
got = xr.open_zarr(${JSON.stringify(path.join(dir, "anomaly.zarr"))}).z_zonal_anomaly
print(json.dumps({"total": float(ds.z.mean()), "err": float(abs(got - want).max()), "spread": float(want.std())}))
`);
  assert.ok(Math.abs(Number(run.stdout.trim()) - check.total) < 1e-6 * check.total, run.stdout);
  assert.ok(check.spread > 10, `the anomaly is not all zeros (std ${check.spread})`);
  assert.ok(check.err < 1e-3 * check.spread, `max |ours - xarray's| ${check.err}`);
});
