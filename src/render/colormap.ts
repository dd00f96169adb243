import { InputError } from "../util/errors.js";
import { LISTED_COLORMAPS, RDBU_ANCHORS } from "./colormap-data.js";

/** A colour map: 256 RGB entries, from the low end to the high end. */
export interface Colormap {
  name: string;
  /** 256 × [r, g, b]. */
  lut: Uint8Array;
  /** Diverging maps are centred on zero by default. */
  diverging: boolean;
}

const SIZE = 256;

function fromHex(hex: string): Uint8Array {
  const lut = new Uint8Array(hex.length / 2);
  for (let i = 0; i < lut.length; i++) lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return lut;
}

/** A 256-entry map interpolated linearly between evenly spaced anchors, as matplotlib's segmented maps. */
function interpolated(anchors: readonly string[]): Uint8Array {
  const rgb = anchors.map((a) => fromHex(a));
  const lut = new Uint8Array(SIZE * 3);
  for (let i = 0; i < SIZE; i++) {
    const pos = (i / (SIZE - 1)) * (rgb.length - 1);
    const k = Math.min(Math.floor(pos), rgb.length - 2);
    const f = pos - k;
    for (let c = 0; c < 3; c++)
      lut[3 * i + c] = Math.round(rgb[k][c] + (rgb[k + 1][c] - rgb[k][c]) * f);
  }
  return lut;
}

function reversed(lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(lut.length);
  for (let i = 0; i < SIZE; i++) out.set(lut.subarray(3 * (SIZE - 1 - i), 3 * (SIZE - i)), 3 * i);
  return out;
}

const BASE: Record<string, { lut: () => Uint8Array; diverging: boolean }> = {
  ...Object.fromEntries(
    Object.entries(LISTED_COLORMAPS).map(([name, hex]) => [
      name,
      { lut: () => fromHex(hex), diverging: false },
    ]),
  ),
  RdBu: { lut: () => interpolated(RDBU_ANCHORS), diverging: true },
  gray: { lut: () => interpolated(["000000", "ffffff"]), diverging: false },
};

/** Names `colormap` knows; each also reversed with an `_r` suffix (`RdBu_r`: blue for low, red for high). */
export const COLORMAP_NAMES: readonly string[] = Object.keys(BASE).flatMap((n) => [n, `${n}_r`]);

/**
 * The colour map `name` (matplotlib's names: viridis, magma, inferno, plasma, cividis, RdBu,
 * gray, each reversible with `_r`), or an `InputError` listing them.
 *
 * @example
 * ```ts
 * const { lut } = colormap("RdBu_r"); // lut[0..2]: the darkest blue
 * ```
 */
export function colormap(name: string): Colormap {
  const base = name.endsWith("_r") ? name.slice(0, -2) : name;
  const entry = BASE[base];
  if (!entry)
    throw new InputError(`unknown colour map "${name}" (known: ${COLORMAP_NAMES.join(", ")})`);
  const lut = entry.lut();
  return { name, lut: base === name ? lut : reversed(lut), diverging: entry.diverging };
}

/** The RGB entry for `value` scaled between `vmin` and `vmax` (clamped at both ends). */
export function colorIndex(value: number, vmin: number, vmax: number): number {
  const f = vmax > vmin ? (value - vmin) / (vmax - vmin) : 0.5;
  return Math.min(SIZE - 1, Math.max(0, Math.floor(f * SIZE)));
}
