import { test } from "node:test";
import assert from "node:assert/strict";
import { compute } from "../../src/api/compute.js";
import { fromArray } from "../../src/api/open-dataset.js";
import { assertClose } from "../helpers.js";
import { randomValues, xarrayOracle } from "./oracle.js";

test("interp linear and nearest along ascending and descending coordinates equals xarray (NaN outside)", async () => {
  const shape = [12, 9, 5];
  const values = randomValues(
    shape.reduce((a, b) => a * b),
    9,
    0.05,
  );
  const time = Float64Array.from({ length: 12 }, (_, i) => i * 2 + (i > 6 ? 1 : 0));
  const lat = Float64Array.from({ length: 9 }, (_, i) => 80 - i * 20);
  const x = Float64Array.from([0, 1, 3, 6, 10]);
  const targets = {
    time: [-1, 0, 0.5, 3.3, 13, 14, 22.9, 23, 24],
    lat: [85, 80, 75.5, 10, -20, -79, -80, -81],
    x: [0.5, 9.99],
  };
  const want = xarrayOracle(
    { values, time, lat, x },
    `
a = xr.DataArray(values.reshape(${JSON.stringify(shape)}), dims=["time", "lat", "x"], coords={"time": time, "lat": lat, "x": x})
t = ${JSON.stringify(targets)}
out = {
    "linear": a.interp(time=t["time"], lat=t["lat"], x=t["x"]),
    "nearest": a.interp(time=t["time"], lat=t["lat"], method="nearest"),
    "scalar": a.interp(lat=33.3, x=2.0),
}
`,
  );
  const a = fromArray(values, {
    shape,
    dims: ["time", "lat", "x"],
    chunks: [5, 4, 2],
    coords: { time, lat, x },
  });
  const linear = a.interp(targets);
  const nearest = a.interp({ time: targets.time, lat: targets.lat }, { method: "nearest" });
  const scalar = a.interp({ lat: 33.3, x: 2 });
  assert.deepEqual(scalar.dims, ["time"]);
  const got = await compute([linear, nearest, scalar], { executor: "inline", memory: "16MB" });
  assertClose(got[0].data, want.linear, 1e-12, 1e-12, "linear");
  assertClose(got[1].data, want.nearest, 1e-12, 1e-12, "nearest");
  assertClose(got[2].data, want.scalar, 1e-12, 1e-12, "scalar");
  assert.deepEqual(Array.from(got[0].coords.lat.values), targets.lat);
});

test("interp needs a coordinate and a known method", () => {
  const a = fromArray(new Float64Array(4), { shape: [4], dims: ["x"] });
  assert.throws(() => a.interp({ x: [1] }), /dimension "x" has no coordinate/);
  const b = fromArray(new Float64Array(4), {
    shape: [4],
    dims: ["x"],
    coords: { x: Float64Array.from([0, 1, 2, 3]) },
  });
  assert.throws(() => b.interp({ x: [1] }, { method: "cubic" as "linear" }), /method "cubic"/);
});
