import type { Command } from "commander";
import { stagedPlan } from "../../api/compute.js";
import { explainStages, formatStages } from "../../plan/explain.js";
import {
  addComputationOptions,
  prepareComputation,
  type ComputationOptions,
} from "../computation.js";
import { progressMode } from "../progress.js";
import type { RegisterCommand } from "./index.js";

/** `dae plan` with `dae run`'s arguments: how the run would go, without running it. */
export const registerPlan: RegisterCommand = (program: Command) => {
  addComputationOptions(
    program
      .command("plan")
      .description(
        "show how `dae run` with these arguments would run, stage by stage: tasks, blocks, memory per task and in total, chunk decodes, fusion",
      ),
  )
    .option("--json", "print the plan as JSON")
    .action(async (options: ComputationOptions & { json?: boolean }) => {
      progressMode(options); // the options of run are accepted (and checked), though nothing runs
      const computation = await prepareComputation(options, false);
      try {
        const { array, output } = computation;
        // without -o or --print, plan as for writing: the case that scales
        const staged = stagedPlan(
          [array],
          options.print ? undefined : (output ?? "OUT.zarr"),
          computation.options,
        );
        process.stdout.write(
          options.json
            ? `${JSON.stringify(explainStages(staged), null, 2)}\n`
            : formatStages(staged),
        );
      } finally {
        await computation.close();
      }
    });
};
