import assert from "node:assert/strict";
import fc from "fast-check";
import { ChunkCache } from "../../../src/array/chunk-cache.js";
import type { AttrValue, Attrs, ChunkedArray } from "../../../src/array/chunked-array.js";
import { readBox } from "../../../src/array/read-box.js";
import type { TypedArray } from "../../../src/array/dtype.js";
import { python } from "../../helpers.js";

/** One variable as the python netCDF4 library reads it, undecoded (no mask, no scale, chars as bytes). */
export interface OracleVariable {
  dims: string[];
  shape: number[];
  dtype: string;
  attrs: Attrs;
  /** Flattened C-order values; NaN as null, chars as byte values. */
  values: (number | null)[];
}

export interface OracleDataset {
  format: string;
  attrs: Attrs;
  /** By path (`group/var` in nested groups). */
  variables: Record<string, OracleVariable>;
}

/**
 * Reads `file` with /usr/bin/python3 netCDF4 (auto mask/scale and char-to-string off) and
 * returns every variable's dims, attributes and raw values. Non-finite float attributes come
 * back as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
 */
export function readWithNetcdf4(file: string, options: { values?: boolean } = {}): OracleDataset {
  return python<OracleDataset>(`
import netCDF4, math
def plain(v):
    if isinstance(v, (bytes, np.bytes_)): return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        v = v.tolist() if v.size != 1 else v.reshape(-1)[0].item()
    elif isinstance(v, np.generic): v = v.item()
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v
def attrs(obj):
    return {k: plain(obj.getncattr(k)) for k in obj.ncattrs()}
def walk(group, prefix, out):
    for name, var in group.variables.items():
        var.set_auto_maskandscale(False)
        var.set_auto_chartostring(False)
        item = {"dims": list(var.dimensions), "shape": list(var.shape), "dtype": str(var.dtype), "attrs": attrs(var)}
        if ${options.values === false ? "False" : "True"}:
            data = np.asarray(var[...])
            if data.dtype.kind == "S": data = data.view(np.uint8)
            flat = data.reshape(-1)
            if flat.dtype.kind == "f":
                item["values"] = [None if math.isnan(x) else x for x in flat.tolist()]
            else:
                item["values"] = flat.tolist()
        out[prefix + name] = item
    for name, sub in group.groups.items():
        walk(sub, prefix + name + "/", out)
ds = netCDF4.Dataset(${JSON.stringify(file)})
out = {}
walk(ds, "", out)
print(json.dumps({"format": ds.data_model, "attrs": attrs(ds), "variables": out}))
`);
}

/** An attribute value as the oracle spells it (non-finite numbers as strings). */
export function jsonAttr(value: AttrValue): AttrValue {
  if (typeof value === "number" && !Number.isFinite(value))
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  if (Array.isArray(value)) return value.map(jsonAttr);
  return value;
}

/** Asserts attributes equal the oracle's. */
export function assertAttrs(got: Attrs, want: Attrs, what: string): void {
  const mapped = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, jsonAttr(v)]));
  assert.deepEqual(mapped, want, `${what}: attributes`);
}

/** Asserts values equal exactly (NaN equals null, the oracle's NaN). */
export function assertValues(
  got: TypedArray,
  want: readonly (number | null)[],
  what: string,
): void {
  assert.equal(got.length, want.length, `${what}: number of values`);
  for (let i = 0; i < want.length; i++) {
    const a = Number(got[i]);
    const b = want[i];
    if (b === null ? !Number.isNaN(a) : a !== b)
      assert.fail(`${what}[${i}]: got ${a}, expected ${b}`);
  }
}

/** The box `[start, stop)` of a flattened C-order array, element by element (the reference). */
export function naiveBox<T>(
  data: ArrayLike<T>,
  shape: readonly number[],
  start: readonly number[],
  stop: readonly number[],
): T[] {
  const out: T[] = [];
  const n = shape.length;
  if (stop.some((s, d) => s <= start[d])) return out;
  const idx = [...start];
  for (;;) {
    let off = 0;
    for (let d = 0; d < n; d++) off = off * shape[d] + idx[d];
    out.push(data[off]);
    let d = n - 1;
    for (; d >= 0; d--) {
      if (++idx[d] < stop[d]) break;
      idx[d] = start[d];
    }
    if (d < 0) return out;
  }
}

/** Random boxes of `a` equal the same boxes of the oracle's values, read whole and chunk by chunk. */
export async function checkRandomBoxes(
  a: ChunkedArray,
  values: (number | null)[],
  runs = 60,
): Promise<void> {
  const box = fc.tuple(
    ...a.shape.map((s) =>
      fc
        .tuple(fc.integer({ min: 0, max: s }), fc.integer({ min: 0, max: s }))
        .map(([x, y]) => [Math.min(x, y), Math.max(x, y)]),
    ),
  );
  await fc.assert(
    fc.asyncProperty(box, fc.boolean(), async (b, viaChunks) => {
      const start = b.map((r) => r[0]);
      const stop = b.map((r) => r[1]);
      const got = await readBox(
        a,
        start,
        stop,
        viaChunks ? { cache: new ChunkCache(1 << 20) } : {},
      );
      assertValues(
        got,
        naiveBox(values, a.shape, start, stop),
        `${a.source} [${start}]..[${stop}]`,
      );
    }),
    { numRuns: runs },
  );
}
