import cliProgress from "cli-progress";
import type { Progress } from "../exec/executor.js";
import { InputError } from "../util/errors.js";
import { formatBytes, formatSeconds } from "../util/format.js";

/** How a command shows progress: a bar on a terminal (else one final line), JSON lines, or nothing. */
export type ProgressMode = "auto" | "json" | "quiet";

/** What a progress display needs, whatever the command counts (tasks, chunks). */
export interface ProgressState {
  done: number;
  total: number;
  /** Bytes read, when the command counts them. */
  bytesRead?: number;
  bytesWritten: number;
  elapsedSeconds: number;
  /**
   * The share of the work done (0 to 1), where more is known than `done / total` (the default):
   * a run's chunk decodes against those planned move while its tasks are under way.
   */
  fraction?: number;
  /** Shown after the counts on the bar, e.g. the variable being copied. */
  detail?: string;
}

/** Shows a command's progress on stderr; `finish` prints its summary line. */
export interface ProgressReporter {
  /** `record` is what `--progress json` prints for this update (default: the state). */
  update(state: ProgressState, record?: object): void;
  /** Stops the bar and prints `summary` (one line) unless quiet or JSON. */
  finish(summary: string): void;
  /** Stops the bar without a summary (on failure). */
  stop(): void;
}

/** The `--progress`/`--quiet` options as a mode (`--quiet` wins). */
export function progressMode(options: { quiet?: boolean; progress?: string }): ProgressMode {
  if (options.quiet) return "quiet";
  if (options.progress === undefined) return "auto";
  if (options.progress !== "json")
    throw new InputError(`--progress: only "json" is supported, got "${options.progress}"`);
  return "json";
}

/**
 * An engine `Progress` as the display shows it: the bar goes by tasks done or by chunks decoded
 * of those planned, whichever is further (a resumed run's skipped tasks decode nothing), and
 * short of full until the last task is done (its writes come after its decodes).
 */
export function taskProgress(p: Progress): ProgressState {
  const state: ProgressState = {
    done: p.tasksDone,
    total: p.tasksTotal,
    bytesRead: p.bytesRead,
    bytesWritten: p.bytesWritten,
    elapsedSeconds: p.elapsedSeconds,
    ...(p.stage ? { detail: p.stage } : {}),
  };
  const decoded = p.decodesTotal > 0 ? Math.min(p.decodes / p.decodesTotal, 0.99) : 0;
  return { ...state, fraction: Math.max(shareDone(state), decoded) };
}

/** JSON lines at most this often (the last update is always printed). */
const JSON_INTERVAL_MS = 200;

/**
 * A progress reporter for `mode`, counting `unit` (e.g. "tasks"): on a terminal a bar with
 * done/total, bytes read and written, read throughput and ETA; elsewhere nothing until the
 * final line; with `json`, one JSON object per line.
 */
export function progressReporter(
  mode: ProgressMode,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  if (mode === "quiet") return { update() {}, finish() {}, stop() {} };
  if (mode === "json") return jsonReporter(stream);
  if (!stream.isTTY)
    return { update() {}, finish: (summary) => void stream.write(`${summary}\n`), stop() {} };
  return barReporter(unit, stream);
}

function jsonReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let lastWrite = -Infinity;
  let pending: object | undefined;
  const flush = () => {
    if (pending) stream.write(`${JSON.stringify(pending)}\n`);
    pending = undefined;
  };
  return {
    update(state, record = state) {
      pending = record;
      const now = Date.now();
      if (state.done >= state.total || now - lastWrite >= JSON_INTERVAL_MS) {
        flush();
        lastWrite = now;
      }
    },
    finish: flush,
    stop: flush,
  };
}

function barReporter(unit: string, stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      format: `{bar} {done}/{all} ${unit} | {bytes} | ETA {remaining}{detail}`,
      stream,
      clearOnComplete: true,
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const stop = () => {
    if (started) bar.stop();
    started = false;
  };
  return {
    update(s) {
      const fields = {
        done: s.done,
        all: s.total,
        bytes: describeBytes(s),
        remaining: estimateRemaining(s),
        detail: s.detail ? ` | ${s.detail}` : "",
      };
      // the bar is filled by the share done (of 1), the text counts units
      if (!started) bar.start(1, shareDone(s), fields);
      else bar.update(shareDone(s), fields);
      started = true;
    },
    finish(summary) {
      stop();
      stream.write(`${summary}\n`);
    },
    stop,
  };
}

function shareDone(s: ProgressState): number {
  return s.fraction ?? (s.total > 0 ? s.done / s.total : 1);
}

/**
 * Time left at the pace so far (elapsed time per share done), or `…` before anything is done:
 * progress comes every second while the first tasks run, and cli-progress's own estimate
 * would read NULL or INF until one is done.
 */
function estimateRemaining(s: ProgressState): string {
  const share = shareDone(s);
  if (share >= 1) return formatSeconds(0);
  return share > 0 ? formatSeconds((s.elapsedSeconds / share) * (1 - share)) : "…";
}

/** `read 3.1 MB, wrote 1.2 MB, 6.9 MB/s`: bytes moved and the throughput (of reads when counted). */
function describeBytes(s: ProgressState): string {
  const parts: string[] = [];
  if (s.bytesRead !== undefined) parts.push(`read ${formatBytes(s.bytesRead)}`);
  if (s.bytesRead === undefined || s.bytesWritten > 0)
    parts.push(`wrote ${formatBytes(s.bytesWritten)}`);
  const moved = s.bytesRead ?? s.bytesWritten;
  if (s.elapsedSeconds > 0) parts.push(`${formatBytes(moved / s.elapsedSeconds)}/s`);
  return parts.join(", ");
}

/** `12 tasks in 0.45 s: read 3.1 MB, wrote 1.2 MB, 6.9 MB/s`: the tail of a summary line. */
export function describeRun(state: ProgressState, unit: string): string {
  return `${state.done} ${unit} in ${formatSeconds(state.elapsedSeconds)}: ${describeBytes(state)}`;
}
