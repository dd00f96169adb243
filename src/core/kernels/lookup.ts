import type { WindowKernelArgs } from "./window-kernels.js";

/**
 * The `lookup` window kernel: each value of its input (an index, as argmin/argmax give) is
 * replaced by entry `table[index]` of a list in its params (a coordinate's labels: idxmin,
 * idxmax); indices outside the table (-1: no valid value) give NaN. Elementwise otherwise:
 * no dim is windowed.
 */
export function lookup({ node, out, inputs }: WindowKernelArgs): void {
  const table = node.params.table as number[];
  const { data } = inputs[0];
  for (let i = 0; i < out.length; i++) {
    const k = data[i];
    out[i] = k >= 0 && k < table.length ? table[k] : NaN;
  }
}
