import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { dae, tempDir } from "../helpers.js";

test("dae run --raw reads the stored numbers of a time axis whose units cannot be decoded (the refusal says so)", (t) => {
  const dir = tempDir(t);
  const cdl = path.join(dir, "tz.cdl");
  const file = path.join(dir, "tz.nc");
  writeFileSync(
    cdl,
    `netcdf t {
dimensions: time = 2 ;
variables: double time(time) ; time:units = "seconds since 1970-1-1 0:00:00 5:00" ;
  short v(time) ; v:scale_factor = 0.5 ;
data: time = 0, 60 ; v = 3, 4 ;
}
`,
  );
  execFileSync("ncgen", ["-o", file, cdl]);
  const refused = dae(["run", "-i", file, "-e", "time", "--print", "--quiet"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^dae: .*tz\.nc:time: cannot decode time: .*--raw.*\n$/);
  const raw = dae(["run", "-i", file, "-e", "v + time", "--print", "--quiet", "--raw"]);
  assert.equal(raw.code, 0, raw.stderr);
  // stored shorts, no scale_factor: 3 + 0, 4 + 60
  assert.deepEqual(JSON.parse(raw.stdout).data, [3, 64]);
});
