import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { S3Store } from "../../src/storage/s3-store.js";
import { dae, fixture } from "../helpers.js";
import { startMoto } from "../distributed/servers.js";

/** Uploads `local` (a file, or a folder with every file under it) to `key` in `store`. */
async function upload(store: S3Store, local: string, key: string): Promise<number> {
  const entries = readdirSync(local, { withFileTypes: true, recursive: true }) as {
    name: string;
    parentPath: string;
    isFile(): boolean;
  }[];
  let n = 0;
  for (const e of entries.filter((e) => e.isFile())) {
    const file = path.join(e.parentPath, e.name);
    await store.set(`${key}/${path.relative(local, file)}`, readFileSync(file));
    n++;
  }
  return n;
}

test("NetCDF-3, GeoTIFF and Zarr on moto's S3 read exactly as the local files; NetCDF-4 refused in one line", async (t) => {
  const dir = fixture(t, "");
  if (!dir) return;
  const { bucket } = await startMoto(t);
  const store = new S3Store(`s3://${bucket}`, { writable: true });
  const tif = "geotiff/z500_m1_deflate_cog.tif";
  for (const name of ["eraint_uvz.nc", "eraint_uvz_nc4.nc", tif])
    await store.set(name, readFileSync(path.join(dir, name)));
  const zarrFiles = await upload(store, path.join(dir, "eraint_uvz.zarr"), "eraint_uvz.zarr");
  t.diagnostic(`uploaded 3 files and a Zarr store of ${zarrFiles} objects`);

  // one child per input: the CLI as a user runs it, credentials and endpoint from the environment
  const cases: [string, string][] = [
    ["eraint_uvz.nc", 'z.mean("longitude")'],
    [tif, 'band_data.mean("x")'],
    ["eraint_uvz.zarr", 'z.mean("longitude")'],
  ];
  for (const [name, expr] of cases) {
    const local = dae(["run", "-i", path.join(dir, name), "-e", expr, "--print", "--quiet"]);
    const remote = dae(["run", "-i", `s3://${bucket}/${name}`, "-e", expr, "--print", "--quiet"]);
    assert.equal(local.code, 0, `${name} local: ${local.stderr}`);
    assert.equal(remote.code, 0, `${name} on S3: ${remote.stderr}`);
    assert.ok((JSON.parse(local.stdout) as { data: number[] }).data.length > 0, name);
    assert.equal(remote.stdout, local.stdout, name);
  }

  const nc4 = dae(["run", "-i", `s3://${bucket}/eraint_uvz_nc4.nc`, "-e", "z", "--print"]);
  assert.equal(nc4.code, 1);
  assert.equal(
    nc4.stderr.trim(),
    `dae: s3://${bucket}/eraint_uvz_nc4.nc: NetCDF-4/HDF5 is read from local files only; download it first`,
  );
  const missing = dae(["info", `s3://${bucket}/missing.nc`]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr.trim(),
    /^[^\n]*s3:\/\/dae-test\/missing\.nc: no such object or Zarr store$/,
  );
});
