import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";

/** A free loopback TCP port (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, on loopback, without persistence. */
export interface TestRedis {
  url: string;
  port: number;
  /** With `tls`: the server's self-signed certificate (give it to clients as NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** Stops it (and, with `restart`, starts it again on the same port, empty). */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/**
 * Starts redis-server on a free port; `password` sets requirepass, `user` adds an ACL user
 * with it, `tls` serves TLS only (rediss://) with a self-signed certificate made by openssl.
 */
export async function startRedis(
  t: TestContext,
  options: { password?: string; user?: string; tls?: boolean } = {},
): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "dae-redis-"));
  const args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  let caFile: string | undefined;
  if (options.tls) {
    caFile = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        caFile,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    args.push(
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      caFile,
      "--tls-key-file",
      key,
      "--tls-ca-cert-file",
      caFile,
      "--tls-auth-clients",
      "no",
    );
  } else args.push("--port", String(port));
  if (options.password && !options.user) args.push("--requirepass", options.password);
  if (options.user)
    args.push(
      "--user",
      "default",
      "off",
      "--user",
      options.user,
      "on",
      `>${options.password}`,
      "~*",
      "&*",
      "+@all",
    );
  let child: ChildProcess | undefined;
  const auth = options.user
    ? `${options.user}:${options.password}@`
    : options.password
      ? `:${options.password}@`
      : "";
  const url = `${options.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`;
  const start = async () => {
    child = spawn("redis-server", args, { stdio: "ignore" });
    await waitForRedis(url, caFile);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await start();
  t.after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, port, caFile, stop, restart: async () => (await stop(), await start()) };
}

async function waitForRedis(url: string, caFile?: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const tls = caFile ? { tls: { ca: readFileSync(caFile) } } : {};
    const r = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      ...tls,
    });
    r.on("error", () => undefined);
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      return;
    } catch {
      r.disconnect();
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  throw new Error(`redis at ${url} did not start`);
}

/**
 * Points this process (and the children it starts, which inherit its environment) at the S3
 * server at `endpoint` with test credentials, through the usual AWS variables, until the test ends.
 */
function useS3Env(t: TestContext, endpoint: string): void {
  const env = {
    DAE_S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  t.after(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
}

/**
 * moto's S3 server (`moto_server`, the Python ecosystem's S3 test double) on a free loopback
 * port, with an empty `bucket`; sets DAE_S3_ENDPOINT and test credentials (the usual AWS
 * variables) until the test ends, and stops the server then. The in-repo S3 server it replaced
 * is gone: every S3 test passes on moto.
 */
export async function startMoto(
  t: TestContext,
  bucket = "dae-test",
): Promise<{ endpoint: string; bucket: string }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // its request log goes to a file: a pipe would fill while the test waits in spawnSync, and block it
  const dir = mkdtempSync(path.join(os.tmpdir(), "dae-moto-"));
  const logFile = path.join(dir, "moto.log");
  const log = openSync(logFile, "w");
  const server = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  // it takes a second or two to import; it answers once it listens
  let up = false;
  for (let i = 0; i < 300 && !up && server.exitCode === null; i++) {
    up = await fetch(`${endpoint}/moto-api/`).then(
      () => true,
      () => false,
    );
    if (!up) await new Promise((res) => setTimeout(res, 50));
  }
  if (!up)
    throw new Error(`moto_server on ${endpoint} did not start: ${readFileSync(logFile, "utf8")}`);
  useS3Env(t, endpoint);
  const created = await fetch(`${endpoint}/${bucket}`, { method: "PUT" });
  if (!created.ok) throw new Error(`moto: creating bucket ${bucket}: HTTP ${created.status}`);
  return { endpoint, bucket };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith(".ts");
const root = path.resolve(here, fromSource ? "../.." : "../../..");

/**
 * Node arguments that run `file` (a module of this folder, without extension) from the
 * TypeScript sources under tsx, or from dist/ when the tests are built.
 */
export function nodeArgs(file: string, args: string[]): string[] {
  return fromSource
    ? ["--import", "tsx", path.join(here, `${file}.ts`), ...args]
    : [path.join(here, `${file}.js`), ...args];
}

/** Node arguments that run the `dae` CLI with `args`, from sources or from dist/. */
export function daeArgs(args: string[]): string[] {
  if (!fromSource) return [path.join(root, "bin", "dae.js"), ...args];
  const main = path.join(root, "src", "cli", "main.ts");
  const script = `import { main } from ${JSON.stringify(main)}; main(["node", "dae", ...process.argv.slice(1)]).then((c) => { process.exitCode = c; });`;
  return ["--import", "tsx", "--input-type=module", "-e", script, "--", ...args];
}

/** A running child process with its output gathered line by line. */
export interface Child {
  process: ChildProcess;
  lines: string[];
  stderr: string[];
  /** Resolves when a stdout line matches `pattern` (or rejects when the process ends first). */
  waitFor(pattern: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** Spawns node with `args`, gathering stdout lines; killed (SIGKILL) when the test ends. */
export function spawnNode(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (l: string) => void }[] = [];
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters])
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  });
  child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return {
    process: child,
    lines,
    stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      const test = typeof pattern === "function" ? pattern : (l: string) => pattern.test(l);
      const seen = lines.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no line matching ${pattern} in ${timeoutMs} ms; stderr: ${stderr.join("")}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then((code) =>
          reject(
            new Error(
              `process exited (${code}) before a line matching ${pattern}; stderr: ${stderr.join("")}`,
            ),
          ),
        );
      });
    },
  };
}

/** Starts `n` `dae worker` processes on `redis` (printing a line per task). */
export function startWorkers(
  t: TestContext,
  n: number,
  redis: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Child[] {
  return Array.from({ length: n }, () =>
    spawnNode(t, daeArgs(["worker", "--redis", redis, "--verbose", ...extra]), env),
  );
}

/** Resolves once a `dae worker` says it is taking tasks (throws if it exits first). */
export async function waitStarted(w: Child): Promise<void> {
  for (let i = 0; i < 600 && !w.stderr.join("").includes("taking tasks"); i++) {
    if (w.process.exitCode !== null) throw new Error(`dae worker exited: ${w.stderr.join("")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
