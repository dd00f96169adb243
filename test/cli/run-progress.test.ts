import { test } from "node:test";
import assert from "node:assert/strict";
import {
  describeRun,
  progressMode,
  progressReporter,
  taskProgress,
  type ProgressState,
} from "../../src/cli/progress.js";
import { DaeError } from "../../src/util/errors.js";

/** A stderr stand-in that records what is written. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, columns: 120, write: (s: string) => (writes.push(s), true) };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

const states = (total: number): ProgressState[] =>
  Array.from({ length: total + 1 }, (_, k) => ({
    done: k,
    total,
    bytesRead: k * 1024 * 1024,
    bytesWritten: k * 512 * 1024,
    elapsedSeconds: k * 0.5,
  }));

test("progress: not a terminal → nothing but the final line; quiet → nothing", () => {
  const plain = fakeStream(false);
  const r = progressReporter("auto", "tasks", plain.stream);
  for (const s of states(4)) r.update(s);
  r.finish(`wrote x.zarr: ${describeRun(states(4)[4], "tasks")}`);
  assert.deepEqual(plain.writes, [
    "wrote x.zarr: 4 tasks in 2.00 s: read 4.0 MB, wrote 2.0 MB, 2.0 MB/s\n",
  ]);

  const quiet = fakeStream(false);
  const q = progressReporter("quiet", "tasks", quiet.stream);
  for (const s of states(3)) q.update(s);
  q.finish("done");
  assert.deepEqual(quiet.writes, []);
});

test("progress json: one object per line, the last update always printed, no summary", () => {
  const out = fakeStream(true);
  const r = progressReporter("json", "tasks", out.stream);
  for (const s of states(50)) r.update(s, { tasksDone: s.done, tasksTotal: s.total });
  r.finish("not printed");
  const lines = out.writes
    .join("")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(lines.length >= 2 && lines.length <= 51);
  assert.deepEqual(lines[lines.length - 1], { tasksDone: 50, tasksTotal: 50 });
  for (let i = 1; i < lines.length; i++) assert.ok(lines[i].tasksDone > lines[i - 1].tasksDone);
});

test("progress on a terminal: a bar with counts, bytes, throughput and ETA, then the summary", () => {
  const tty = fakeStream(true);
  const r = progressReporter("auto", "tasks", tty.stream);
  for (const s of states(4)) r.update(s);
  r.finish("summary line");
  const text = tty.writes.join("");
  assert.match(text, /\d\/4 tasks \| read [\d.]+ MB, wrote [\d.]+ MB, [\d.]+ MB\/s \| ETA /);
  // before the first task is done there is no pace to go by yet
  assert.match(text, /0\/4 tasks \| read 0 B \| ETA …/);
  assert.ok(text.endsWith("summary line\n"));
});

test("the bar goes by chunks decoded of those planned while tasks run, by tasks where they are further, full only when all are done", () => {
  const run = (tasksDone: number, decodes: number, tasksTotal = 2, decodesTotal = 584) =>
    taskProgress({
      tasksDone,
      tasksTotal,
      decodes,
      decodesTotal,
      bytesRead: 0,
      bytesWritten: 0,
      elapsedSeconds: 3,
    }).fraction;
  assert.equal(run(0, 146), 0.25);
  assert.equal(run(1, 438), 0.75);
  assert.equal(run(1, 584), 0.99, "decoded all, one task still writing");
  assert.equal(run(2, 584), 1);
  assert.equal(run(3, 10, 4), 0.75, "a resumed run: its skipped tasks decoded nothing");
  assert.equal(run(0, 0, 3, 0), 0, "nothing to decode: by tasks");

  // a quarter done in 3 s: the bar a quarter full, 9 s to go
  const tty = fakeStream(true);
  const r = progressReporter("auto", "tasks", tty.stream);
  r.update(
    taskProgress({
      tasksDone: 0,
      tasksTotal: 2,
      decodes: 146,
      decodesTotal: 584,
      bytesRead: 0,
      bytesWritten: 0,
      elapsedSeconds: 3,
    }),
  );
  r.stop();
  const text = tty.writes.join("");
  assert.match(text, /█{10}░{30} 0\/2 tasks \| read 0 B, 0 B\/s \| ETA 9.00 s/);
});

test("progress modes: --quiet wins, only json is a format", () => {
  assert.equal(progressMode({}), "auto");
  assert.equal(progressMode({ progress: "json" }), "json");
  assert.equal(progressMode({ quiet: true, progress: "json" }), "quiet");
  assert.throws(
    () => progressMode({ progress: "bar" }),
    (e) => e instanceof DaeError && /only "json"/.test(e.message),
  );
});
