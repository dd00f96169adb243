import type { Command } from "commander";
import { registerConvert } from "./convert.js";
import { registerInfo } from "./info.js";

/** Each command adds itself to the program; one file per command. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerInfo, registerConvert];
