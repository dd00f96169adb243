/**
 * A naive in-memory reference for engine tests: n-d arrays as flat Float64Arrays walked
 * element by element with index arithmetic, sharing no code with the engine.
 */
export interface RefArray {
  dims: string[];
  shape: number[];
  data: Float64Array;
}

export function indexToCoords(k: number, shape: number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return c;
}

export function coordsToIndex(c: number[], shape: number[]): number {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d] + c[d];
  return k;
}

/** a op b broadcast by dim name: dims of a, then b's new dims. */
export function refBinary(a: RefArray, b: RefArray, f: (x: number, y: number) => number): RefArray {
  const dims = [...a.dims, ...b.dims.filter((d) => !a.dims.includes(d))];
  const shape = dims.map((d) =>
    a.dims.includes(d) ? a.shape[a.dims.indexOf(d)] : b.shape[b.dims.indexOf(d)],
  );
  const size = shape.reduce((p, n) => p * n, 1);
  const data = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const c = indexToCoords(k, shape);
    const ca = a.dims.map((d) => c[dims.indexOf(d)]);
    const cb = b.dims.map((d) => c[dims.indexOf(d)]);
    data[k] = f(a.data[coordsToIndex(ca, a.shape)], b.data[coordsToIndex(cb, b.shape)]);
  }
  return { dims, shape, data };
}

/** Reduces over `over` with `f` of the list of values of each output cell. */
export function refReduce(
  a: RefArray,
  over: string[],
  f: (values: number[], indices: number[]) => number,
): RefArray {
  const keep = a.dims.filter((d) => !over.includes(d));
  const shape = keep.map((d) => a.shape[a.dims.indexOf(d)]);
  const size = shape.reduce((p, n) => p * n, 1);
  const cells: number[][] = Array.from({ length: size }, () => []);
  const idx: number[][] = Array.from({ length: size }, () => []);
  for (let k = 0; k < a.data.length; k++) {
    const c = indexToCoords(k, a.shape);
    const o = coordsToIndex(
      keep.map((d) => c[a.dims.indexOf(d)]),
      shape,
    );
    cells[o].push(a.data[k]);
    idx[o].push(over.length === 1 ? c[a.dims.indexOf(over[0])] : 0);
  }
  return { dims: keep, shape, data: Float64Array.from(cells.map((v, o) => f(v, idx[o]))) };
}

const valid = (v: number[]) => v.filter((x) => !Number.isNaN(x));

/** xarray's NaN-skipping reductions, written the plain way. */
export const refReducers: Record<string, (v: number[], idx: number[]) => number> = {
  sum: (v) => valid(v).reduce((s, x) => s + x, 0),
  mean: (v) => (valid(v).length ? valid(v).reduce((s, x) => s + x, 0) / valid(v).length : NaN),
  min: (v) => (valid(v).length ? Math.min(...valid(v)) : NaN),
  max: (v) => (valid(v).length ? Math.max(...valid(v)) : NaN),
  count: (v) => valid(v).length,
  var: (v) => {
    const w = valid(v);
    if (!w.length) return NaN;
    const m = w.reduce((s, x) => s + x, 0) / w.length;
    return w.reduce((s, x) => s + (x - m) ** 2, 0) / w.length;
  },
  std: (v) => Math.sqrt(refReducers.var(v, [])),
  median: (v) => {
    const w = valid(v).sort((x, y) => x - y);
    if (!w.length) return NaN;
    const h = (w.length - 1) / 2;
    return (w[Math.floor(h)] + w[Math.ceil(h)]) / 2;
  },
  prod: (v) => valid(v).reduce((s, x) => s * x, 1),
  argmin: (v, idx) => {
    let best = -1;
    v.forEach((x, i) => {
      if (!Number.isNaN(x) && (best < 0 || x < v[best])) best = i;
    });
    return best < 0 ? -1 : idx[best];
  },
};

/** Elements equal within rtol (NaN equals NaN). */
export function closeEnough(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol = 1e-9,
): string | undefined {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= rtol * Math.max(1, Math.abs(a), Math.abs(b))))
      return `[${i}]: got ${a}, want ${b}`;
  }
  return undefined;
}
