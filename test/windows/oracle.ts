import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { python } from "../helpers.js";

/**
 * Runs an xarray script with `inputs` (flat arrays; NaN allowed) bound by name as numpy
 * float64 arrays, and returns what it assigns to `out` (a dict of arrays/lists; NaN comes
 * back as null, which assertClose reads as NaN).
 */
export function xarrayOracle<T = Record<string, (number | null)[]>>(
  inputs: Record<string, ArrayLike<number>>,
  script: string,
): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dae-oracle-"));
  const file = path.join(dir, "inputs.json");
  writeFileSync(
    file,
    JSON.stringify(
      Object.fromEntries(
        Object.entries(inputs).map(([k, v]) => [
          k,
          Array.from(v, (x) => (Number.isNaN(x) ? null : x)),
        ]),
      ),
    ),
  );
  const prelude = `
_inputs = json.load(open(${JSON.stringify(file)}))
for _k, _v in _inputs.items():
    globals()[_k] = np.array([np.nan if x is None else x for x in _v], dtype=float)
def _clean(v):
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    a = np.asarray(v)
    if a.dtype.kind in "fc":
        return [None if np.isnan(x) else float(x) for x in a.ravel()]
    if a.dtype.kind in "iub":
        return [int(x) for x in a.ravel()]
    return [str(x) for x in a.ravel()]
`;
  try {
    return python<T>(`${prelude}\n${script}\nprint(json.dumps(_clean(out)))`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A deterministic pseudo-random generator (mulberry32), for test data both sides agree on. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values in [-10, 10) with about `nanShare` NaN. */
export function randomValues(n: number, seed: number, nanShare = 0.1): Float64Array {
  const r = seeded(seed);
  return Float64Array.from({ length: n }, () =>
    r() < nanShare ? NaN : Math.round((r() * 20 - 10) * 1000) / 1000,
  );
}
