import type { Command } from "commander";
import { registerConvert } from "./convert.js";
import { registerInfo } from "./info.js";
import { registerRun } from "./run.js";
import { registerPlan } from "./plan.js";
import { registerDemo } from "./demo.js";
import { registerPlot } from "./plot.js";
import { registerPyramid } from "./pyramid.js";
import { registerWorker } from "./worker.js";

/** Each command adds itself to the program; one file per command. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerInfo,
  registerConvert,
  registerRun,
  registerPlan,
  registerPlot,
  registerPyramid,
  registerDemo,
  registerWorker,
];
