import type { Node } from "../core/graph.js";
import { broadcastTo } from "../core/gather.js";
import { elementwise } from "../core/kernels/elementwise.js";
import { toEngineArray } from "../core/kernels/numeric.js";
import { memorySnapshots } from "../exec/sources.js";
import type { Built } from "./build.js";

/**
 * The values of an array that can be known without running a plan: an in-memory array
 * (`fromArray`, a coordinate, `t.time.dt.month`) and elementwise functions of such arrays,
 * broadcast (`t.time.dt.season == "JJA"`, `(t.lat > 0) & (t.lon < 180)`), and 1-D views of them. What selections by mask need at
 * once, as xarray has its coordinates in memory. `undefined` when the array reads storage.
 */
export function knownValues(built: Built): Float64Array | undefined {
  const done = new Map<string, Float64Array | undefined>();
  const value = (node: Node): Float64Array | undefined => {
    if (done.has(node.id)) return done.get(node.id);
    let out: Float64Array | undefined;
    if (node.op === "source" && node.ref.kind === "memory") {
      try {
        out = Float64Array.from(toEngineArray(memorySnapshots([node])[node.ref.key].data));
      } catch {
        out = undefined; // a custom in-memory array without its values at hand
      }
    } else if (node.op === "map") {
      const args = node.inputs.map((o) => {
        if ("scalar" in o) return o.scalar;
        const input = built.graph[o.node];
        const data = value(input);
        return data && broadcastTo(data, input.dims, input.shape, node.dims, node.shape);
      });
      if (args.every((a) => a !== undefined)) {
        out = new Float64Array(node.shape.reduce((a, b) => a * b, 1));
        elementwise(node.fn).run(out, args as (Float64Array | number)[]);
      }
    } else if (node.op === "view" && node.dims.length === 1 && !Object.keys(node.fixed).length) {
      const input = built.graph[node.input];
      const axis = node.axes[0];
      const data = input.dims.length === 1 && axis ? value(input) : undefined;
      if (data && axis)
        out = Float64Array.from(
          { length: node.shape[0] },
          (_, i) => data[axis.start + axis.step * i],
        );
    }
    done.set(node.id, out);
    return out;
  };
  return value(built.node);
}
