import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** GNU time, which reports a whole process tree's wall, CPU and peak RSS (apt: `time`). */
export const GNU_TIME = "/usr/bin/time";

/** What one timed process cost. */
export interface Measurement {
  /** Wall-clock seconds. */
  wall: number;
  /** CPU seconds in user mode, the process and the children it waited for. */
  user: number;
  sys: number;
  /** Peak resident set of the largest single process, MB (a process pool's is not summed). */
  rssMB: number;
}

/** A finished timed process: its cost, exit code and output. */
export interface TimedRun {
  measurement?: Measurement;
  code: number | null;
  /** Killed after the time limit. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command args` under GNU time and returns what it cost. Output is collected, not
 * streamed, so a chatty tool does not slow itself down on a terminal. After `limitSeconds`
 * the whole process group is killed (GNU time does not pass a signal on to its child).
 */
export function timed(command: string, args: string[], limitSeconds = Infinity): Promise<TimedRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dae-bench-"));
  const report = path.join(dir, "time.txt");
  return new Promise((resolve, reject) => {
    const child = spawn(GNU_TIME, ["-f", "%e %U %S %M", "-o", report, command, ...args], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let timedOut = false;
    const timer = Number.isFinite(limitSeconds)
      ? setTimeout(() => {
          timedOut = true;
          process.kill(-child.pid!, "SIGKILL");
        }, limitSeconds * 1000)
      : undefined;
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b));
    child.stderr.on("data", (b: Buffer) => (stderr += b));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let measurement: Measurement | undefined;
      try {
        // GNU time writes "Command exited with non-zero status N" before the numbers
        const line = readFileSync(report, "utf8").trim().split("\n").pop() ?? "";
        const [wall, user, sys, rssKB] = line.split(" ").map(Number);
        if ([wall, user, sys, rssKB].every(Number.isFinite))
          measurement = { wall, user, sys, rssMB: rssKB / 1024 };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      resolve({ measurement, code, timedOut, stdout, stderr });
    });
  });
}

/** The median of each field over several measurements. */
export function medianOf(ms: Measurement[]): Measurement {
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  return {
    wall: med(ms.map((m) => m.wall)),
    user: med(ms.map((m) => m.user)),
    sys: med(ms.map((m) => m.sys)),
    rssMB: med(ms.map((m) => m.rssMB)),
  };
}
