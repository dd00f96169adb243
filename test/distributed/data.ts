import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { toZarr } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";

/** Shape of the test input: t × y × x, chunked 4 × 16 × 16. */
export const SHAPE = [64, 96, 96];

/**
 * Writes a float64 Zarr store `a` (dims t, y, x) with smooth values, some NaN, and a
 * coordinate per dim: the input of the distributed tests.
 */
export async function writeInput(dir: string): Promise<string> {
  const [nt, ny, nx] = SHAPE;
  const data = new Float64Array(nt * ny * nx);
  for (let i = 0; i < data.length; i++)
    data[i] = i % 97 === 0 ? NaN : Math.sin(i / 1000) * 100 + (i % 13);
  const coords = {
    t: Float64Array.from({ length: nt }, (_, i) => i),
    y: Float64Array.from({ length: ny }, (_, i) => i),
    x: Float64Array.from({ length: nx }, (_, i) => i),
  };
  const a = fromArray(data, {
    shape: SHAPE,
    dims: ["t", "y", "x"],
    chunks: [4, 16, 16],
    name: "a",
    coords,
  });
  const file = path.join(dir, "input.zarr");
  await toZarr(a.rechunk({ t: 4, y: 16, x: 16 }), file, {
    executor: "inline",
    onNote: () => undefined,
  });
  return file;
}

/** Every file of a store (path → bytes), without the run's records. */
export function storeFiles(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (name === ".dae-complete") continue; // what computed it, compared by the resume tests
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

/** Asserts two stores hold the same files with the same bytes; returns how many chunk files they have. */
export function assertSameStores(got: Map<string, Buffer>, want: Map<string, Buffer>): number {
  const a = [...got.keys()].sort();
  const b = [...want.keys()].sort();
  if (a.join("\n") !== b.join("\n"))
    throw new Error(`different files:\n  got  ${a.join(", ")}\n  want ${b.join(", ")}`);
  for (const k of a) if (!got.get(k)!.equals(want.get(k)!)) throw new Error(`${k}: bytes differ`);
  return a.filter((k) => !/(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata)$/.test(k)).length;
}
