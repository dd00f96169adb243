import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { compute } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { callKernel, mapBlocks, windowed } from "../../src/api/user-kernels.js";
import { assertClose, tempDir } from "../helpers.js";
import { randomValues, xarrayOracle } from "./oracle.js";

/** User kernels as a user writes them: plain functions over typed arrays, in a module file. */
const KERNELS = `
export function double([a]) {
  return a.data.map((x) => x * 2);
}

export function addTwo([a, b], output) {
  // b has fewer dims: it repeats along the output's first dim
  const out = new Float64Array(output.shape.reduce((p, q) => p * q, 1));
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i % b.data.length];
  return out;
}

/** Least-squares slope of each slice against its index (NaN skipped). */
export function trend({ data, shape: [n, T] }) {
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let k = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let t = 0; t < T; t++) {
      const y = data[s * T + t];
      if (y !== y) continue;
      k++; sx += t; sy += y; sxx += t * t; sxy += t * y;
    }
    out[s] = (k * sxy - sx * sy) / (k * sxx - sx * sx);
  }
  return out;
}

/** Per slice: its mean and its standard deviation (a new dim of 2). */
export function moments({ data, shape: [n, T] }) {
  const out = new Float64Array(n * 2);
  for (let s = 0; s < n; s++) {
    let m = 0;
    for (let t = 0; t < T; t++) m += data[s * T + t];
    m /= T;
    let v = 0;
    for (let t = 0; t < T; t++) v += (data[s * T + t] - m) ** 2;
    out[2 * s] = m;
    out[2 * s + 1] = Math.sqrt(v / T);
  }
  return out;
}

/** Max minus min over each window along time (the generalized windowed operation). */
export function spread([input], output) {
  const { starts, stops } = input.windows.time;
  const [T, X] = output.shape;
  const inX = input.shape[1];
  const out = new Float64Array(T * X);
  for (let t = 0; t < T; t++)
    for (let x = 0; x < X; x++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = starts[t]; i < stops[t]; i++) {
        const v = input.data[i * inX + x];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      out[t * X + x] = hi - lo;
    }
  return out;
}
`;

test("user kernels from a module file run in the thread pool: mapBlocks, mapSlices, kernel(), windowed", async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "kernels.mjs");
  writeFileSync(file, KERNELS);
  const [T, Y, X] = [40, 6, 7];
  const values = randomValues(T * Y * X, 4, 0);
  const a = fromArray(values, { shape: [T, Y, X], dims: ["time", "y", "x"], chunks: [7, 4, 3] });
  const b = fromArray(
    Float64Array.from({ length: Y * X }, (_, i) => i),
    { shape: [Y, X], dims: ["y", "x"], chunks: [5, 5] },
  );
  const doubled = a.mapBlocks(file, "double");
  const added = mapBlocks([a, b], file, "addTwo", { dtype: "float64" });
  const slope = a.mapSlices(file, "trend", { dims: ["time"] });
  const stats = callKernel(file, "moments", a, {
    dims: ["time"],
    outDims: ["stat"],
    outSizes: { stat: 2 },
  });
  const spread = windowed(
    [
      {
        array: a.isel({ y: 0 }),
        windows: { time: { outDim: "time", offset: -2, step: 1, size: 3 } },
      },
    ],
    { dims: ["time", "x"], shape: [T, X] },
    file,
    "spread",
  );
  assert.deepEqual(slope.dims, ["y", "x"]);
  assert.deepEqual(stats.dims, ["y", "x", "stat"]);
  const want = xarrayOracle(
    { values },
    `
a = values.reshape(${T}, ${Y}, ${X})
t = np.arange(${T})
s = a[:, 0, :]
spread = np.stack([s[max(0, i - 2):i + 1].max(0) - s[max(0, i - 2):i + 1].min(0) for i in range(${T})])
out = {
    "slope": np.polyfit(t, a.reshape(${T}, -1), 1)[0].reshape(${Y}, ${X}),
    "stats": np.stack([a.mean(0), a.std(0)], axis=-1),
    "spread": spread,
}
`,
  );
  const got = await compute([doubled, added, slope, stats, spread], {
    executor: "threads",
    workers: 2,
    memory: "64MB",
  });
  assertClose(
    got[0].data,
    Array.from(values, (v) => v * 2),
    0,
    0,
    "mapBlocks",
  );
  assertClose(
    got[1].data,
    Array.from(values, (v, i) => v + (i % (Y * X))),
    0,
    0,
    "mapBlocks of two arrays",
  );
  assertClose(got[2].data, want.slope, 1e-9, 1e-12, "mapSlices trend");
  assertClose(got[3].data, want.stats, 1e-9, 1e-12, "kernel() moments");
  assertClose(got[4].data, want.spread, 0, 0, "windowed spread");
});

test("user kernels come from module files only, and bad results are one-line errors", async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "kernels.mjs");
  writeFileSync(
    file,
    "export function short() { return new Float64Array(1); }\nexport const notAFunction = 3;\n",
  );
  const a = fromArray(new Float64Array(10), { shape: [10], dims: ["t"] });
  assert.throws(
    () => a.mapBlocks(path.join(dir, "missing.mjs"), "f"),
    /kernel module .*missing\.mjs does not exist/,
  );
  await assert.rejects(
    compute([a.mapBlocks(file, "nope")], { executor: "inline" }),
    /exports no function "nope" \(functions: short\)/,
  );
  await assert.rejects(
    compute([a.mapBlocks(file, "short")], { executor: "inline" }),
    /kernel "short" of .* returned 1 values for a block of 10/,
  );
});
