/**
 * Sums `node --cpu-prof` profiles (one per thread) by function and by category, to see where
 * a workload's time goes: `node dist/bench/profile.js PROFILE_DIR [TOP]`.
 *
 * Categories come from the function's name and file: zstd and other codecs, copy-box/
 * read-box (copy), kernels (compute), piscina/worker messaging, node's fs, GC, module loading;
 * idle time and piscina workers waiting for a task are left out of "busy".
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES: [string, RegExp][] = [
  ["idle", /^\(idle\)/],
  ["waiting for a task (piscina atomics wait)", /^atomicsWaitLoop /],
  ["gc", /^\(garbage collector\)/],
  ["codecs (zstd decode and encode)", /numcodecs|zstd|codec|wasm|zarrita/i],
  ["copy (read-box, copy-box, gather)", /copy-box|read-box|gather|chunk-cache/],
  ["kernel (reductions, elementwise, windows)", /kernels\//],
  [
    "thread messaging (piscina, structured clone)",
    /piscina|worker_threads|internal\/worker|MessagePort|postMessage/i,
  ],
  [
    "file I/O",
    /fs-store|node:fs|internal\/fs|^(read|open|close|realpath|fstat|openFileHandle|readFileHandle) /,
  ],
  ["hdf5 (h5wasm)", /h5wasm|hdf5/],
  [
    "startup (module loading)",
    /compileSourceTextModule|compileForInternalLoader|resolve|loader|package_config|realm/,
  ],
];

function category(name: string, url: string): string {
  const key = `${name} ${url}`;
  return (
    CATEGORIES.find(([, re]) => re.test(key))?.[0] ?? (name.startsWith("(") ? name : "other JS")
  );
}

function main(): void {
  const [dir, topArg] = process.argv.slice(2);
  const top = Number(topArg ?? 25);
  const byFunction = new Map<string, number>();
  const byCategory = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const p = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Profile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const us = p.timeDeltas[i] ?? 0;
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
      const name = functionName || "(anonymous)";
      const where = url ? `${path.basename(url)}:${lineNumber + 1}` : "";
      const key = `${name} ${where}`.trim() + `  [${category(name, url)}]`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const cat = category(name, url);
      byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
      total += us;
    });
  }
  const busy = total - (byCategory.get("idle") ?? 0) - (byCategory.get(CATEGORIES[1][0]) ?? 0);
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  console.log(
    `all threads: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (percentages of busy)\n`,
  );
  for (const [c, us] of [...byCategory].sort((a, b) => b[1] - a[1]))
    if (c !== "idle" && c !== CATEGORIES[1][0])
      console.log(`${pct(us)}  ${(us / 1e6).toFixed(2).padStart(6)} s  ${c}`);
  console.log("");
  for (const [f, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    if (!/^\(idle\)|^atomicsWaitLoop/.test(f))
      console.log(`${pct(us)}  ${(us / 1e6).toFixed(2).padStart(6)} s  ${f}`);
}

main();
