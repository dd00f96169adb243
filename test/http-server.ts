import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { promises as fs } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** One request the test server answered. */
export interface ServedRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
}

export interface TestServerOptions {
  /** Answer every GET with the whole file (200), as servers without Range support do. */
  ignoreRange?: boolean;
  /** Answer the first `n` requests with 503, to exercise retries. */
  failFirst?: number;
  /** Refuse HEAD with 405, to exercise the size fallback. */
  refuseHead?: boolean;
}

/** A static file server on 127.0.0.1 for tests. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** Every request answered, in order. */
  requests: ServedRequest[];
  /** Body bytes sent in total. */
  bytesSent(): number;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` on a free port of 127.0.0.1, with HEAD and single
 * `Range: bytes=` requests (a-b, a-, -n), and records every request so tests can show
 * that range reads were used instead of whole downloads.
 *
 * @example
 * ```ts
 * const server = await serveFiles(dir);
 * t.after(() => server.close());
 * ```
 */
export async function serveFiles(
  root: string,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const requests: ServedRequest[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const server = createServer((req, res) => {
    handle(
      root,
      options,
      req,
      res,
      () => failuresLeft-- > 0,
      (r) => requests.push(r),
    ).catch((e) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bytesSent: () => requests.reduce((n, r) => n + r.bytes, 0),
    close: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((e) => (e ? reject(e) : resolve())),
      );
    },
  };
}

async function handle(
  root: string,
  options: TestServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  shouldFail: () => boolean,
  log: (r: ServedRequest) => void,
): Promise<void> {
  const method = req.method ?? "GET";
  const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const range = req.headers.range;
  // logged before the body is sent, so a client never sees a response the log lacks
  const reply = (
    status: number,
    body?: Uint8Array,
    headers: Record<string, string | number> = {},
  ): void => {
    log({
      method,
      path: urlPath,
      range,
      status,
      bytes: method === "HEAD" || !body ? 0 : body.length,
    });
    res.writeHead(status, headers);
    res.end(method === "HEAD" ? undefined : body);
  };
  if (shouldFail()) return reply(503);
  if (method === "HEAD" && options.refuseHead) return reply(405);
  const file = path.join(root, urlPath);
  if (!file.startsWith(path.resolve(root) + path.sep)) return reply(403);
  let data: Uint8Array;
  try {
    data = await fs.readFile(file);
  } catch {
    return reply(404);
  }
  const size = data.length;
  if (!range || options.ignoreRange)
    return reply(200, data, { "Content-Length": size, "Accept-Ranges": "bytes" });
  const m = /^bytes=(\d*)-(\d*)$/.exec(range);
  if (!m || (m[1] === "" && m[2] === "")) return reply(400);
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start)
    return reply(416, undefined, { "Content-Range": `bytes */${size}` });
  return reply(206, data.subarray(start, end + 1), {
    "Content-Range": `bytes ${start}-${end}/${size}`,
    "Content-Length": end - start + 1,
  });
}
