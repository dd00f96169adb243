import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { toZarr } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { fromTypedArray } from "../../src/array/memory-array.js";
import { writeDatasetZarr } from "../../src/dataset/write-zarr.js";

const z = () =>
  fromArray(new Float64Array(12), { shape: [3, 4], dims: ["y", "x"], chunks: [3, 4], name: "z" });

test(
  "a destination that takes no new entries is refused in one line naming it, not 'no such file or directory' (nor a hang)",
  { timeout: 20_000 },
  async (t) => {
    if (!existsSync("/proc/self")) return t.skip("no /proc on this system");
    await assert.rejects(toZarr(z(), "/proc/out.zarr", { executor: "inline" }), {
      message:
        "/proc/out.zarr: cannot create /proc/out.zarr: /proc takes no new entries (a read-only or special file system)",
    });
    const array = fromTypedArray(new Float64Array(2), { shape: [2], dims: ["x"] });
    const ds = { variables: new Map([["x", { array }]]) };
    await assert.rejects(writeDatasetZarr(ds, "/proc/a/b.zarr"), {
      message: /^\/proc\/a\/b\.zarr: cannot create \/proc\/a: \/proc takes no new entries/,
    });
    // a file system that refuses writes with EPERM says so, with the path
    if (existsSync("/sys/kernel"))
      await assert.rejects(toZarr(z(), "/sys/out.zarr", { executor: "inline" }), {
        message:
          /^\/sys\/out\.zarr: (operation not permitted|permission denied|read-only file system)$/,
      });
  },
);
