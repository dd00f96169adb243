import type { Command } from "commander";
import { plan, stageNotes } from "../../api/compute.js";
import type { OutputTarget } from "../../plan/plan.js";
import { explainPlan, formatPlan } from "../../plan/explain.js";
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
        "show how `dae run` with these arguments would run: tasks, blocks, memory per task and in total, chunk decodes, fusion",
      ),
  )
    .option("--json", "print the plan as JSON")
    .action(async (options: ComputationOptions & { json?: boolean }) => {
      progressMode(options); // the options of run are accepted (and checked), though nothing runs
      const computation = await prepareComputation(options, false);
      try {
        const { array, output } = computation;
        const zarrFormat = computation.options.zarrFormat ?? 3;
        // without -o or --print, plan as for writing: the case that scales
        const target: OutputTarget = options.print
          ? { kind: "memory" }
          : { kind: "zarr", url: output ?? "OUT.zarr", path: array.name, zarrFormat };
        const p = plan([array], [target], computation.options);
        p.notes.push(...stageNotes([array], p, computation.options, target.kind === "zarr"));
        process.stdout.write(
          options.json ? `${JSON.stringify(explainPlan(p), null, 2)}\n` : formatPlan(p),
        );
      } finally {
        await computation.close();
      }
    });
};
