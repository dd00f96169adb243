import assert from "node:assert/strict";

/**
 * Numbers crossing the JSON boundary with the python oracle: NaN, ±inf and -0 as strings
 * (JSON has none of them), so that a result equal to numpy's is equal bit for bit.
 */
export function encodeNumbers(values: ArrayLike<number>): string[] {
  return Array.from(values, (v) =>
    Object.is(v, -0)
      ? "-0.0"
      : Number.isNaN(v)
        ? "nan"
        : v === Infinity
          ? "inf"
          : v === -Infinity
            ? "-inf"
            : String(v),
  );
}

export function decodeNumbers(values: readonly string[]): number[] {
  return values.map((s) =>
    s === "nan" ? NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s),
  );
}

/** Python: `enc(array)` gives the strings `decodeNumbers` reads (repr keeps every float bit). */
export const PY_ENCODE = `
def enc(a):
    a = np.asarray(a).ravel()
    if a.dtype.kind == "f":
        return ["nan" if np.isnan(x) else "inf" if x == np.inf else "-inf" if x == -np.inf else repr(float(x)) for x in a]
    return [str(int(x)) for x in a]
def dec(values, dtype):
    return np.array([float(v) for v in values]).astype(dtype)
`;

/**
 * Asserts `got` equals numpy's `want` element by element: exactly (NaN equals NaN, and the
 * sign of a zero counts) or, with `rtol`, within that relative tolerance.
 */
export function assertNumpyEqual(
  got: ArrayLike<number>,
  want: readonly number[],
  what: string,
  rtol = 0,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    const same =
      rtol === 0 || !Number.isFinite(b)
        ? Object.is(a, b) || (a === 0 && b === 0 && rtol > 0)
        : Math.abs(a - b) <= rtol * Math.abs(b);
    assert.ok(
      same,
      `${what}[${i}]: got ${Object.is(a, -0) ? "-0" : a}, numpy gives ${Object.is(b, -0) ? "-0" : b}`,
    );
  }
}
