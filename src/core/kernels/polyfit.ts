import { stridesOf } from "../../array/copy-box.js";
import { boxShape } from "../box.js";
import { histogramSlab } from "./histogram.js";
import type { WindowKernelArgs } from "./window-kernels.js";

/**
 * The `polyfit` window kernel (streaming): least-squares polynomial coefficients of degree
 * `deg` per series along the one windowed dim (a window without `outDim`: the whole axis),
 * against the coordinate values `x` (params), NaN skipped, as xarray's `polyfit`. It reads
 * its input in slabs along the axis (the histogram's slab rule, which the planner's memory
 * estimate uses too) and accumulates the normal equations — sums of t^k and t^k·y with
 * t = (x - center) / scale, which keeps the (deg+1)² system well conditioned — then solves
 * them (Gaussian elimination, partial pivoting) and expands the coefficients back to powers
 * of x. The output's first dim is the degree, highest first, as numpy's polyfit; a series with
 * no more valid points than `deg` has no unique fit: NaN.
 */
export async function polyfit({ node, box, out, inputs, read }: WindowKernelArgs): Promise<void> {
  const [{ input, inBox, windows }] = inputs;
  const deg = Number(node.params.deg);
  const x = node.params.x as number[];
  const center = Number(node.params.center);
  const scale = Number(node.params.scale);
  const m = deg + 1;
  const reduced = input.dims.map((d) => d in windows);
  const a = reduced.indexOf(true);
  const shape = boxShape(inBox);
  const inner = stridesOf(shape)[a];
  const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
  const count = outer * inner;
  const S = Array.from({ length: 2 * deg + 1 }, () => new Float64Array(count));
  const R = Array.from({ length: m }, () => new Float64Array(count));
  const extent = histogramSlab(inBox, reduced)[a];
  for (let s0 = inBox.start[a]; s0 < inBox.stop[a]; s0 += extent) {
    const s1 = Math.min(inBox.stop[a], s0 + extent);
    const slab = {
      start: inBox.start.map((v, i) => (i === a ? s0 : v)),
      stop: inBox.stop.map((v, i) => (i === a ? s1 : v)),
    };
    const data = await read(input.id, slab);
    const L = s1 - s0;
    for (let o = 0; o < outer; o++)
      for (let p = 0; p < L; p++) {
        const t = (x[s0 + p] - center) / scale;
        if (t !== t) continue;
        const row = (o * L + p) * inner;
        for (let q = 0; q < inner; q++) {
          const v = data[row + q];
          if (v !== v) continue;
          const i = o * inner + q;
          let power = 1;
          for (let k = 0; k <= 2 * deg; k++) {
            S[k][i] += power;
            if (k <= deg) R[k][i] += power * v;
            power *= t;
          }
        }
      }
  }
  const A = new Float64Array(m * m);
  const b = new Float64Array(m);
  const coef = new Float64Array(m);
  // coefficient of x^j in t^k = (x - c)^k / s^k: binomial(k, j) (-c)^(k-j) / s^k
  const expand = new Float64Array(m * m);
  for (let k = 0; k < m; k++)
    for (let j = 0; j <= k; j++)
      expand[k * m + j] = (binomial(k, j) * (-center) ** (k - j)) / scale ** k;
  // the block's degrees (the first output dim), as positions from the highest degree
  const [d0, d1] = [box.start[0], box.stop[0]];
  for (let i = 0; i < count; i++) {
    const solved = S[0][i] > deg;
    if (solved) {
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < m; c++) A[r * m + c] = S[r + c][i];
        b[r] = R[r][i];
      }
      solve(A, b, coef, m);
    }
    for (let p = d0; p < d1; p++) {
      const j = deg - p;
      let v = 0;
      for (let k = j; k < m; k++) v += coef[k] * expand[k * m + j];
      out[(p - d0) * count + i] = solved ? v : NaN;
    }
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Solves A x = b (m × m, row-major; both overwritten) into `x`, partial pivoting. */
function solve(A: Float64Array, b: Float64Array, x: Float64Array, m: number): void {
  for (let col = 0; col < m; col++) {
    let pivot = col;
    for (let r = col + 1; r < m; r++)
      if (Math.abs(A[r * m + col]) > Math.abs(A[pivot * m + col])) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < m; c++) {
        const tmp = A[col * m + c];
        A[col * m + c] = A[pivot * m + c];
        A[pivot * m + c] = tmp;
      }
      const tb = b[col];
      b[col] = b[pivot];
      b[pivot] = tb;
    }
    for (let r = col + 1; r < m; r++) {
      const f = A[r * m + col] / A[col * m + col];
      if (f === 0) continue;
      for (let c = col; c < m; c++) A[r * m + c] -= f * A[col * m + c];
      b[r] -= f * b[col];
    }
  }
  for (let r = m - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < m; c++) s -= A[r * m + c] * x[c];
    x[r] = s / A[r * m + r];
  }
}
