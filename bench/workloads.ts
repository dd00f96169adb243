import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { PYTHON } from "./data.js";

/** Where things are: the data folder, a scratch output path, the scripts, the budget. */
export interface Context {
  data: string;
  /** Output path for this run (removed before and after it). */
  out: string;
  memory: string;
  /** `node` plus the flags our scripts need (tsx when run from sources). */
  node: string[];
  /** Our compiled (or source) bench scripts, and their extension. */
  scripts: string;
  ext: string;
  /** bench/py. */
  py: string;
}

/** One way to run a workload: a tool and the command line. */
export interface Runner {
  tool: string;
  /** Whether this is the engine itself (the others are peers to compare with). */
  ours: boolean;
  /** Output file extension ("zarr", "nc") or none for in-memory results. */
  output?: string;
  command(ctx: Context): string[];
}

export interface Workload {
  id: string;
  title: string;
  runners: Runner[];
  /** What it reads, in the data folder (read once before each timed run: the runs are warm-cache runs). */
  inputs: string[];
  /** The workload whose "ours" row a peer is compared with, when not this one (W8 vs W7). */
  compareWith?: string;
}

const cores = os.availableParallelism();

const ours = (id: string, output?: string): Runner => ({
  tool: "dae",
  ours: true,
  output,
  command: (c) => [...c.node, path.join(c.scripts, `engine${c.ext}`), id, c.data, c.out, c.memory],
});

const xarray = (id: string, output?: string): Runner => ({
  tool: "xarray+dask",
  ours: false,
  output,
  command: (c) => [PYTHON, path.join(c.py, "peer_xarray.py"), id, c.data, c.out],
});

/** The workloads of issue 7, each with our runner and the peers that can do it. */
export const WORKLOADS: Workload[] = [
  {
    id: "W1",
    title: "mean over time (in memory)",
    inputs: ["a.zarr"],
    runners: [ours("W1"), xarray("W1")],
  },
  {
    id: "W2",
    title: "monthly anomaly → Zarr",
    inputs: ["a.zarr"],
    runners: [ours("W2", "zarr"), xarray("W2", "zarr")],
  },
  {
    id: "W3",
    title: "7-day rolling mean → Zarr",
    inputs: ["a.zarr"],
    runners: [ours("W3", "zarr"), xarray("W3", "zarr")],
  },
  {
    id: "W4",
    title: "a + b (misaligned chunks) → Zarr",
    inputs: ["a.zarr", "b.zarr"],
    runners: [ours("W4", "zarr"), xarray("W4", "zarr")],
  },
  {
    id: "W5",
    title: "rechunk to time series → Zarr",
    inputs: ["a.zarr"],
    runners: [ours("W5", "zarr"), xarray("W5", "zarr")],
  },
  {
    id: "W6",
    title: "mean over time of NetCDF-4",
    inputs: ["a.nc"],
    runners: [
      ours("W6"),
      xarray("W6"),
      {
        tool: "cdo",
        ours: false,
        output: "nc",
        command: (c) => [
          "cdo",
          "-s",
          "-P",
          String(cores),
          "timmean",
          path.join(c.data, "a.nc"),
          c.out,
        ],
      },
    ],
  },
  {
    id: "W7",
    title: "read + decode every chunk (our I/O floor)",
    inputs: ["a.zarr"],
    runners: [
      {
        tool: "dae",
        ours: true,
        command: (c) => [...c.node, path.join(c.scripts, `read-all${c.ext}`), c.data],
      },
    ],
  },
  {
    id: "W8",
    title: "read + decode every chunk (native floor)",
    inputs: ["a.zarr"],
    compareWith: "W7",
    runners: [
      {
        tool: "numcodecs (C zstd)",
        ours: false,
        command: (c) => [PYTHON, path.join(c.py, "native_floor.py"), c.data],
      },
    ],
  },
  {
    id: "W9",
    title: "a × land mask, latitude reversed (aligned by label) → Zarr",
    inputs: ["a.zarr", "mask.zarr"],
    runners: [ours("W9", "zarr"), xarray("W9", "zarr")],
  },
];

/** Why a peer tool cannot run here, or undefined when it can. */
export function missingReason(tool: string): string | undefined {
  const has = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
  switch (tool) {
    case "dae":
      return undefined;
    case "xarray+dask":
      return has(PYTHON, ["-c", "import xarray, dask, zarr, numcodecs, netCDF4"])
        ? undefined
        : `${PYTHON} lacks xarray/dask/zarr/netCDF4`;
    case "numcodecs (C zstd)":
      return has(PYTHON, ["-c", "import numcodecs"]) ? undefined : `${PYTHON} lacks numcodecs`;
    case "cdo":
      return has("cdo", ["-V"]) ? undefined : "cdo is not installed (apt-get install cdo)";
    default:
      return `unknown tool ${tool}`;
  }
}
