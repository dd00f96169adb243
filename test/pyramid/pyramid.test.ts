import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { load } from "../../src/api/compute.js";
import { openDataset } from "../../src/api/open-dataset.js";
import { assertClose, dae, fixture, python, tempDir } from "../helpers.js";

/** Checks the root's `multiscales` against OME-Zarr v0.4's required fields, and returns it. */
function checkMultiscales(
  attrs: Record<string, unknown>,
  variable: string,
  dims: string[],
  spatial: string[],
  levels: number,
): void {
  const multiscales = attrs.multiscales as Record<string, unknown>[];
  assert.ok(
    Array.isArray(multiscales) && multiscales.length >= 1,
    "multiscales is a non-empty list",
  );
  const entry = multiscales.find((m) => m.name === variable)!;
  assert.ok(entry, `an entry for ${variable}`);
  assert.equal(entry.version, "0.4");
  const axes = entry.axes as { name: string; type?: string }[];
  assert.deepEqual(
    axes.map((a) => a.name),
    dims,
    "one axis per dimension, in order",
  );
  const space = axes.filter((a) => a.type === "space").map((a) => a.name);
  assert.deepEqual(space, spatial);
  assert.ok(space.length === 2 || space.length === 3, "2 or 3 space axes");
  assert.ok(axes.length >= 2 && axes.length <= 5, "2 to 5 axes");
  const datasets = entry.datasets as {
    path: string;
    coordinateTransformations: { type: string; scale?: number[]; translation?: number[] }[];
  }[];
  assert.equal(datasets.length, levels);
  datasets.forEach((d, k) => {
    assert.equal(d.path, String(k));
    const [scale, translation] = d.coordinateTransformations;
    assert.equal(scale.type, "scale", "the first transformation is a scale");
    assert.equal(scale.scale!.length, dims.length);
    assert.deepEqual(
      scale.scale,
      dims.map((n) => (spatial.includes(n) ? 2 ** k : 1)),
      "finest first, doubling",
    );
    if (translation) {
      assert.equal(translation.type, "translation");
      assert.equal(translation.translation!.length, dims.length);
    }
  });
}

test("dae pyramid --method mode on basin_mask.nc (Zarr v2): each level is the 2×2 mode of the one before, as numpy computes it", async (t) => {
  const src = fixture(t, "basin_mask.nc");
  if (!src) return;
  const out = path.join(tempDir(t), "basins.zarr");
  const r = dae([
    "pyramid",
    src,
    "-o",
    out,
    "--levels",
    "4",
    "--method",
    "mode",
    "--zarr-format",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^wrote .*basins\.zarr \(Zarr v2\): 4 levels of basin \(Y, X: 180×360 → 23×45\), method mode/,
  );
  const check = python<{
    attrs: Record<string, unknown>;
    equal: boolean[];
    sizes: number[][];
    coords: boolean[];
    consolidated: boolean;
  }>(`
import zarr
src = xr.open_dataset(${JSON.stringify(src)}).basin
def mode(v, axis):
    # xarray hands each block's values on the axes in \`axis\`; the mode skips NaN, ties give the smallest
    blocks = np.moveaxis(v, axis, tuple(range(-len(axis), 0)))
    blocks = blocks.reshape(blocks.shape[: -len(axis)] + (-1,))
    def one(x):
        x = x[~np.isnan(x)]
        if x.size == 0: return np.nan
        u, c = np.unique(x, return_counts=True)
        return u[np.argmax(c)]
    return np.apply_along_axis(one, -1, blocks)
ref = src
equal, sizes, coords = [], [], []
for k in range(4):
    if k > 0:
        ref = ref.coarsen(Y=2, X=2, boundary="pad").reduce(mode)
    got = xr.open_zarr(${JSON.stringify(out)}, group=str(k))
    zarr.open_group(${JSON.stringify(out)} + "/" + str(k), mode="r")
    equal.append(bool(np.array_equal(got.basin.values, ref.values, equal_nan=True)))
    coords.append(bool(np.allclose(got.Y.values, ref.Y.values) and np.allclose(got.X.values, ref.X.values)))
    sizes.append([got.sizes["Y"], got.sizes["X"]])
root = zarr.open_consolidated(${JSON.stringify(out)}, mode="r")
print(json.dumps({"attrs": dict(root.attrs), "equal": equal, "sizes": sizes, "coords": coords, "consolidated": "3/basin" in root}))
`);
  assert.deepEqual(check.sizes, [
    [180, 360],
    [90, 180],
    [45, 90],
    [23, 45],
  ]);
  assert.deepEqual(check.equal, [true, true, true, true]);
  assert.deepEqual(check.coords, [true, true, true, true]);
  assert.ok(check.consolidated, "the root's consolidated metadata lists every level");
  checkMultiscales(check.attrs, "basin", ["Z", "Y", "X"], ["Y", "X"], 4);
});

test("dae pyramid --method mean on eraint z (Zarr v2): levels equal xarray's coarsen(boundary='pad').mean(), coordinates too", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const out = path.join(tempDir(t), "z.zarr");
  const r = dae([
    "pyramid",
    src,
    "--var",
    "z",
    "-o",
    out,
    "--levels",
    "3",
    "--zarr-format",
    "2",
    "--tile-size",
    "64",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const check = python<{
    attrs: Record<string, unknown>;
    err: number[];
    coords: boolean[];
    chunks: number[][];
  }>(`
import zarr
ref = xr.open_dataset(${JSON.stringify(src)}).z
err, coords, chunks = [], [], []
for k in range(3):
    if k > 0:
        ref = ref.coarsen(latitude=2, longitude=2, boundary="pad").mean()
    got = xr.open_zarr(${JSON.stringify(out)}, group=str(k)).z
    err.append(float(np.nanmax(np.abs(got.values - ref.values) / np.abs(ref.values))))
    coords.append(bool(np.allclose(got.latitude, ref.latitude) and np.allclose(got.longitude, ref.longitude)))
    chunks.append(list(got.encoding["chunks"]))
print(json.dumps({"attrs": dict(zarr.open_group(${JSON.stringify(out)}, mode="r").attrs), "err": err, "coords": coords, "chunks": chunks}))
`);
  for (const e of check.err) assert.ok(e < 1e-6, `relative error ${e}`);
  assert.deepEqual(check.coords, [true, true, true]);
  // tiles of 64 pixels, or the whole dim where it is shorter (latitude: 241, 121, 61)
  assert.deepEqual(
    check.chunks.map((c) => c.slice(2)),
    [
      [64, 64],
      [64, 64],
      [61, 64],
    ],
  );
  checkMultiscales(
    check.attrs,
    "z",
    ["month", "level", "latitude", "longitude"],
    ["latitude", "longitude"],
    3,
  );
  const translations = (
    check.attrs.multiscales as {
      datasets: { coordinateTransformations: { translation?: number[] }[] }[];
    }[]
  )[0].datasets.map((d) => d.coordinateTransformations[1].translation!.slice(2));
  assert.deepEqual(
    translations,
    [
      [0, 0],
      [0.5, 0.5],
      [1.5, 1.5],
    ],
    "block centres in level-0 pixels",
  );
});

test("writePyramid --method nearest (Zarr v3): level k is every 2^k-th pixel, read back through our reader", async (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const out = path.join(tempDir(t), "u.zarr");
  const r = dae([
    "pyramid",
    src,
    "--var",
    "u,v",
    "-o",
    out,
    "--levels",
    "3",
    "--method",
    "nearest",
    "--quiet",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const want = python<Record<string, number[][]>>(`
ds = xr.open_dataset(${JSON.stringify(src)})
print(json.dumps({f"{n}{k}": ds[n][..., ::2**k, ::2**k].values.ravel().tolist() for n in ["u", "v"] for k in range(3)}))
`);
  for (let k = 0; k < 3; k++) {
    const { vars } = await openDataset(path.join(out, String(k)));
    for (const n of ["u", "v"])
      assertClose(
        (await load(vars[n], { executor: "inline" })).data as Float32Array,
        want[`${n}${k}`] as unknown as number[],
        0,
        0,
        `${n} level ${k}`,
      );
  }
  const root = await openDataset(out);
  const ms = root.dataset.attrs.multiscales as {
    name: string;
    type: string;
    datasets: unknown[];
  }[];
  assert.deepEqual(
    ms.map((m) => [m.name, m.type, m.datasets.length]),
    [
      ["u", "nearest", 3],
      ["v", "nearest", 3],
    ],
  );
});

test("dae pyramid refuses bad options with one line", (t) => {
  const src = fixture(t, "eraint_uvz.nc");
  if (!src) return;
  const dir = tempDir(t);
  for (const [args, message] of [
    [["--levels", "0"], /^dae: --levels: expected a whole number ≥ 1, got "0"\n$/],
    [
      ["--levels", "12"],
      /^dae: pyramid: --levels must be a whole number from 1 to 10 for a 241 × 480 grid, got 12\n$/,
    ],
    [
      ["--levels", "2", "--method", "max"],
      /^dae: --method: unknown method "max" \(known: mean, mode, nearest\)\n$/,
    ],
    [
      ["--levels", "2", "--var", "nope"],
      /^dae: .*eraint_uvz\.nc: no variable "nope" \(variables: /,
    ],
  ] as [string[], RegExp][]) {
    const r = dae(["pyramid", src, "-o", path.join(dir, "x.zarr"), ...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});
