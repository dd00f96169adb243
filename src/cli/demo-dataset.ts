import { ChunkGrid } from "../array/chunk-grid.js";
import type { Attrs, ChunkedArray } from "../array/chunked-array.js";
import type { TypedArray } from "../array/dtype.js";
import { fromTypedArray } from "../array/memory-array.js";
import type { DatasetLike, WritableVariable } from "../dataset/write-zarr.js";

/** The grid of a demo dataset: daily from 2000-01-01, a global regular lat/lon grid. */
export interface DemoGrid {
  days: number;
  nlat: number;
  nlon: number;
  /** Chunk shape of `t2m` (time, lat, lon). */
  chunks: [number, number, number];
}

/** `small`: 2 years on a 4° grid (12 MB raw); `default`: 3 years on a 1° grid (284 MB raw). */
export const DEMO_GRIDS: Record<"small" | "default", DemoGrid> = {
  small: { days: 731, nlat: 45, nlon: 90, chunks: [30, 45, 90] },
  default: { days: 1096, nlat: 180, nlon: 360, chunks: [30, 90, 90] },
};

const DEG = Math.PI / 180;
const YEAR_DAYS = 365.2425;
const SQRT3 = Math.sqrt(3);

/** Mulberry32: a small seeded PRNG, so the demo data are the same on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of a counter (lowbias32): per-cell noise that does not depend on the chunking. */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** One travelling synoptic wave: amplitude × latitude envelope × cos(m·lon − ω·t + phase). */
interface Wave {
  amplitude: number;
  latCentre: number;
  latWidth: number;
  m: number;
  /** Radians per day. */
  omega: number;
  phase: number;
}

/**
 * The fields behind the demo's temperature, precomputed per grid cell: climate (mean and
 * seasonal cycle), land, and the wave tables that make the weather.
 */
class DemoClimate {
  readonly lat: Float64Array;
  readonly lon: Float64Array;
  /** Land fraction 0..1 per cell (lat-major). */
  readonly land: Float32Array;
  private readonly base: Float32Array;
  private readonly seasonalCos: Float32Array;
  private readonly seasonalSin: Float32Array;
  private readonly noiseSigma: Float32Array;
  private readonly waves: Wave[];
  /** cos(m·lon) and sin(m·lon) per wave and longitude ([wave][lon]). */
  private readonly waveCos: Float64Array;
  private readonly waveSin: Float64Array;
  /** Per latitude: the waves that reach it, with their envelope there. */
  private readonly activeWaves: { index: Int32Array; envelope: Float64Array }[];

  constructor(
    readonly grid: DemoGrid,
    readonly seed: number,
  ) {
    const { nlat, nlon } = grid;
    const random = mulberry32(seed);
    this.lat = Float64Array.from({ length: nlat }, (_, i) => 90 - (i + 0.5) * (180 / nlat));
    this.lon = Float64Array.from({ length: nlon }, (_, j) => -180 + (j + 0.5) * (360 / nlon));
    // continents: blobs of land around random centres, and Antarctica; mountain ranges on them
    const blobs = Array.from({ length: 12 }, () => ({
      lat: -55 + random() * 125,
      lon: -180 + random() * 360,
      radius: 10 + random() * 18,
    }));
    const ranges = Array.from({ length: 4 }, () => ({
      ...blobs[Math.floor(random() * blobs.length)],
      radius: 6 + random() * 8,
    }));
    const near = (phi: number, lam: number, b: { lat: number; lon: number; radius: number }) => {
      const cos =
        Math.sin(phi) * Math.sin(b.lat * DEG) +
        Math.cos(phi) * Math.cos(b.lat * DEG) * Math.cos(lam - b.lon * DEG);
      return Math.exp(-((Math.acos(Math.min(1, cos)) / DEG / b.radius) ** 2));
    };
    this.land = new Float32Array(nlat * nlon);
    this.base = new Float32Array(nlat * nlon);
    this.seasonalCos = new Float32Array(nlat * nlon);
    this.seasonalSin = new Float32Array(nlat * nlon);
    this.noiseSigma = new Float32Array(nlat * nlon);
    for (let i = 0; i < nlat; i++) {
      const phi = this.lat[i] * DEG;
      const s2 = Math.sin(phi) ** 2;
      for (let j = 0; j < nlon; j++) {
        const lam = this.lon[j] * DEG;
        let f = this.lat[i] < -68 ? 1.5 : 0;
        for (const b of blobs) f += near(phi, lam, b);
        const L = 1 / (1 + Math.exp(-(f - 0.55) * 14));
        const k = i * nlon + j;
        this.land[k] = L;
        // mean: warm tropics, cold poles; land warmer in the subtropics and colder towards the
        // poles than the sea; mountains and ice sheets colder still
        let mountains = 0;
        for (const r of ranges) mountains += near(phi, lam, r);
        this.base[k] =
          273.15 +
          27 -
          52 * s2 +
          L * (3 - 14 * s2 - 9 * Math.min(1, mountains)) -
          (this.lat[i] < -65 ? 18 * L : 0);
        // seasonal cycle: larger over land and at high latitudes, opposite in the two
        // hemispheres, peaking about a month later over the sea
        const amplitude =
          (1.5 + 18 * Math.abs(Math.sin(phi))) * (0.3 + 0.7 * L) * Math.sign(this.lat[i]);
        const lag = (2 * Math.PI * (200 + 28 * (1 - L))) / YEAR_DAYS;
        this.seasonalCos[k] = amplitude * Math.cos(lag);
        this.seasonalSin[k] = amplitude * Math.sin(lag);
        this.noiseSigma[k] = 0.3 + 0.6 * L;
      }
    }
    // weather: eastward travelling waves along the mid-latitude storm tracks, and weaker
    // ones in the tropics
    this.waves = Array.from({ length: 16 }, (_, k) => {
      const tropical = k >= 14;
      const m = 2 + Math.floor(random() * 9);
      const speed = (tropical ? 4 : 4 + random() * 8) * DEG; // radians of longitude per day
      return {
        amplitude: tropical ? 0.7 : 1.5 + random() * 3,
        latCentre: tropical ? 0 : (k % 2 === 0 ? 1 : -1) * (30 + random() * 35),
        latWidth: tropical ? 12 : 8 + random() * 10,
        m,
        omega: m * speed,
        phase: random() * 2 * Math.PI,
      };
    });
    this.waveCos = Float64Array.from(
      this.waves.flatMap((w) => Array.from(this.lon, (l) => Math.cos(w.m * l * DEG))),
    );
    this.waveSin = Float64Array.from(
      this.waves.flatMap((w) => Array.from(this.lon, (l) => Math.sin(w.m * l * DEG))),
    );
    this.activeWaves = Array.from(this.lat, (lat) => {
      const envelopes = this.waves.map(
        (w) => w.amplitude * Math.exp(-(((lat - w.latCentre) / w.latWidth) ** 2)),
      );
      const index = Int32Array.from(envelopes.flatMap((e, k) => (e > 0.01 ? [k] : [])));
      return { index, envelope: Float64Array.from(index, (k) => envelopes[k]) };
    });
  }

  /** Temperature (K) over the box `[start, stop)` of (time, lat, lon), C order. */
  fill(start: readonly number[], stop: readonly number[]): Float32Array {
    const [t0, i0, j0] = start;
    const [t1, i1, j1] = stop;
    const { nlat, nlon } = this.grid;
    const { waveCos, waveSin, base, seasonalCos, seasonalSin, noiseSigma } = this;
    const out = new Float32Array((t1 - t0) * (i1 - i0) * (j1 - j0));
    let o = 0;
    for (let t = t0; t < t1; t++) {
      const season = (2 * Math.PI * t) / YEAR_DAYS;
      const cs = Math.cos(season);
      const sn = Math.sin(season);
      const trend = 0.02 * (t / YEAR_DAYS);
      const waveC = Float64Array.from(this.waves, (w) => Math.cos(w.omega * t - w.phase));
      const waveS = Float64Array.from(this.waves, (w) => Math.sin(w.omega * t - w.phase));
      for (let i = i0; i < i1; i++) {
        const { index, envelope } = this.activeWaves[i];
        for (let j = j0; j < j1; j++) {
          const k = i * nlon + j;
          let v = base[k] + trend + seasonalCos[k] * cs + seasonalSin[k] * sn;
          for (let a = 0; a < index.length; a++) {
            const w = index[a];
            v +=
              envelope[a] * (waveCos[w * nlon + j] * waveC[w] + waveSin[w * nlon + j] * waveS[w]);
          }
          // daily noise: Irwin–Hall sum of four uniform bytes, scaled to unit variance
          const h = hash32(((t * nlat + i) * nlon + j + this.seed * 0x9e3779b1) >>> 0);
          const u = (h & 255) + ((h >>> 8) & 255) + ((h >>> 16) & 255) + (h >>> 24);
          out[o++] = v + noiseSigma[k] * ((u / 255 - 2) * SQRT3);
        }
      }
    }
    return out;
  }
}

/** A `ChunkedArray` whose chunks are computed when read: the demo's temperature, never held whole. */
function computedArray(climate: DemoClimate, attrs: Attrs): ChunkedArray {
  const { days, nlat, nlon, chunks } = climate.grid;
  const shape = [days, nlat, nlon];
  const grid = ChunkGrid.regular(shape, chunks);
  return {
    source: "dae demo:t2m",
    shape,
    dtype: "float32",
    dims: ["time", "lat", "lon"],
    chunks: grid,
    fillValue: NaN,
    attrs,
    async readChunk(coords): Promise<TypedArray> {
      const { start, stop } = grid.chunkBox(coords);
      return climate.fill(start, stop);
    },
  };
}

function coordinate(values: Float64Array, dim: string, attrs: Attrs): WritableVariable {
  return { array: fromTypedArray(values, { shape: [values.length], dims: [dim] }), attrs };
}

/**
 * The demo's input: `t2m`, a realistic, deterministic daily near-surface temperature on a
 * global grid (latitude gradient, land and sea with different seasonal cycles, travelling
 * weather systems, daily noise from a seeded PRNG), and the `land` mask it was made with.
 * Chunks are computed as they are written, so memory stays small at any size.
 */
export function demoDataset(grid: DemoGrid, seed = 2024): DatasetLike {
  const climate = new DemoClimate(grid, seed);
  const landMask = Uint8Array.from(climate.land, (L) => (L >= 0.5 ? 1 : 0));
  const variables = new Map<string, WritableVariable>([
    [
      "time",
      coordinate(
        Float64Array.from({ length: grid.days }, (_, t) => t),
        "time",
        {
          standard_name: "time",
          units: "days since 2000-01-01 00:00:00",
          calendar: "standard",
          axis: "T",
        },
      ),
    ],
    [
      "lat",
      coordinate(climate.lat, "lat", {
        standard_name: "latitude",
        long_name: "latitude",
        units: "degrees_north",
        axis: "Y",
      }),
    ],
    [
      "lon",
      coordinate(climate.lon, "lon", {
        standard_name: "longitude",
        long_name: "longitude",
        units: "degrees_east",
        axis: "X",
      }),
    ],
    [
      "t2m",
      {
        array: computedArray(climate, {}),
        attrs: { standard_name: "air_temperature", long_name: "2 m air temperature", units: "K" },
      },
    ],
    [
      "land",
      {
        array: fromTypedArray(landMask, { shape: [grid.nlat, grid.nlon], dims: ["lat", "lon"] }),
        attrs: { long_name: "land mask", flag_values: [0, 1], flag_meanings: "sea land" },
      },
    ],
  ]);
  return {
    variables,
    attrs: {
      title: "dae demo: synthetic daily near-surface air temperature",
      source: "diskarray-engine `dae demo` (deterministic synthetic data, not observations)",
      Conventions: "CF-1.8",
    },
  };
}
