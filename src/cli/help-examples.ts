import type { Command } from "commander";

/** Examples shown after each command's `--help` (the paths are the shared test fixtures'). */
export const helpExamples: Record<string, string[]> = {
  info: ["dae info data.zarr", "dae info ../shared/fixtures/eraint_uvz.nc"],
  convert: [
    "dae convert ../shared/fixtures/eraint_uvz.nc eraint.zarr",
    "dae convert in.tif out.zarr --zarr-format 2 --compressor blosc",
    "dae convert cube.zarr ts.zarr --chunks time=730,lat=48,lon=48",
  ],
  run: [
    "dae run -i ../shared/fixtures/eraint_uvz.nc -e 'z.sel({level: 500}).mean(\"month\")' --print",
    "dae run -i tas=cmip.zarr -e 'tas.tas.groupby(\"time.month\").mean()' -o clim.zarr --memory 2GB",
    "dae run -i a=a.zarr -i b=b.zarr -e 'a.t - b.t' -o diff.zarr --resume",
  ],
  plan: [
    "dae plan -i ../shared/fixtures/eraint_uvz.nc -e 'z.mean(\"month\")' --memory 64MB",
    "dae plan -i cube.zarr -e 'tas.rechunk({time: 730, lat: 48, lon: 48})' -o ts.zarr --memory 1GB",
  ],
  plot: [
    "dae plot ../shared/fixtures/eraint_uvz.nc --var z --sel month=1,level=500 -o z500.png",
    "dae plot clim.zarr --var tas --sel lat=0,lon=0 -o series.png",
  ],
  pyramid: ["dae pyramid ../shared/fixtures/eraint_uvz.zarr -o pyramid.zarr --levels 3"],
  demo: ["dae demo", "dae demo --size small --memory 512MB --out /tmp/demo"],
  worker: ["dae worker --redis redis://127.0.0.1:6379 --allow /data"],
};

/** Adds the examples above to each registered command's `--help`. */
export function addHelpExamples(program: Command): void {
  for (const command of program.commands) {
    const examples = helpExamples[command.name()];
    if (examples)
      command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
  }
}
