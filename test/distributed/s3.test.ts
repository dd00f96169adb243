import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { recordedProgress } from "../../src/exec/resume.js";
import { S3Store } from "../../src/storage/s3-store.js";
import { tempDir } from "../helpers.js";
import { assertSameStores, storeFiles, writeInput } from "./data.js";
import { expression, type ChildRun } from "./run-child.js";
import { nodeArgs, spawnNode, startRedis, startMoto, startWorkers } from "./servers.js";

const plan = { memory: 4 << 20, workers: 4 };

/** Every object under an S3 prefix (key relative to it → bytes), without the run's records. */
async function s3Files(url: string): Promise<Map<string, Buffer>> {
  const store = new S3Store(url);
  const out = new Map<string, Buffer>();
  const walk = async (prefix: string) => {
    for (const name of await store.list(prefix)) {
      if (name === ".dae-complete") continue; // what computed it, as storeFiles skips it
      const key = prefix ? `${prefix}/${name}` : name;
      if (key === ".dae-complete") continue; // the run's record, left out as storeFiles does
      const bytes = await store.get(key);
      if (bytes) out.set(key, Buffer.from(bytes));
      else await walk(key);
    }
  };
  await walk("");
  return out;
}

test("S3Store: whole and ranged reads, sizes, folder-like listing and deletes, exclusive creation", async (t) => {
  const { bucket } = await startMoto(t);
  const store = new S3Store(`s3://${bucket}/some/prefix.zarr`, { writable: true });
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  await store.set("a/c/0/0", bytes);
  await store.set("a/zarr.json", new TextEncoder().encode("{}"));
  await store.set("b", new Uint8Array([7]));
  assert.deepEqual(await store.get("a/c/0/0"), bytes);
  assert.deepEqual(await store.getRange("a/c/0/0", 10, 5), bytes.subarray(10, 15));
  assert.deepEqual(await store.getRange("a/c/0/0", -4, 4), bytes.subarray(96));
  assert.equal(await store.size("a/c/0/0"), 100);
  assert.equal(await store.get("missing"), undefined);
  assert.equal(await store.size("missing"), undefined);
  assert.deepEqual((await store.list("")).sort(), ["a", "b"]);
  assert.deepEqual((await store.list("a")).sort(), ["c", "zarr.json"]);
  assert.equal(await store.setIfAbsent("b", new Uint8Array([1])), false);
  assert.equal(await store.setIfAbsent("lock", new Uint8Array([1])), true);
  await store.delete("a");
  assert.deepEqual((await store.list("")).sort(), ["b", "lock"]);
  await assert.rejects(store.get("../escape"), /leaves the store/);
  await assert.rejects(new S3Store(`s3://${bucket}/x`).set("k", bytes), /read-only/);
  await assert.rejects(
    new S3Store("s3://no-such-bucket/x").get("k"),
    /GET s3:\/\/no-such-bucket\/x\/k: NoSuchBucket \(HTTP 404\)/,
  );
});

test("distributed on S3: input and output in a bucket, equal to a local thread run; the coordinator killed, --resume finishes it", async (t) => {
  const { bucket } = await startMoto(t);
  const dir = tempDir(t);
  const local = await writeInput(dir);
  const input = `s3://${bucket}/input.zarr`;
  const { vars: localVars } = await openDataset(local);
  // the same input, copied to S3 by the engine
  await toZarr(localVars.a.rechunk({ t: 4, y: 16, x: 16 }), input, { executor: "inline" });
  const redis = await startRedis(t);
  // they inherit the S3 endpoint and credentials
  const workers = startWorkers(t, 2, redis.url, ["--allow", `s3://${bucket}`]);
  const want = path.join(dir, "want.zarr");
  await toZarr(expression(localVars.a, "rolling"), want, { ...plan, executor: "threads" });

  const { vars } = await openDataset(input);
  const direct = `s3://${bucket}/direct.zarr`;
  await toZarr(expression(vars.a, "rolling"), direct, {
    ...plan,
    executor: "distributed",
    redis: redis.url,
  });
  const chunks = assertSameStores(await s3Files(direct), storeFiles(want));
  t.diagnostic(`${chunks} chunk objects identical to the local run's files`);

  const output = `s3://${bucket}/resumed.zarr`;
  const run: ChildRun = {
    input,
    output,
    expr: "rolling",
    executor: "distributed",
    redis: redis.url,
    ...plan,
    inFlight: 4,
  };
  const first = spawnNode(t, nodeArgs("run-child", [JSON.stringify(run)]));
  await first.waitFor((l) => l.startsWith("progress ") && Number(l.split(" ")[1]) >= 8);
  first.process.kill("SIGKILL");
  await first.exited;
  const records = (await recordedProgress(output))!;
  assert.ok(records.done >= 8 && records.done < records.tasks);
  const second = spawnNode(t, nodeArgs("run-child", [JSON.stringify({ ...run, resume: true })]));
  const [skipped] = (await second.waitFor(/^done /, 120_000)).split(" ").slice(1).map(Number);
  assert.equal(skipped, records.done);
  assertSameStores(await s3Files(output), storeFiles(want));
  assert.ok(workers.every((w) => w.process.exitCode === null));
});
