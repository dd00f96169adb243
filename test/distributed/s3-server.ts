import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A minimal S3-compatible server on loopback, in memory, for tests: path-style
 * `/bucket/key` with GET (and `Range: bytes=a-b`), HEAD, PUT (and `If-None-Match: *`),
 * DELETE, POST `?delete` (DeleteObjects) and ListObjectsV2 (prefix, delimiter, pages).
 * Requests are not authenticated. Written because the npm fakes we tried list nested
 * prefixes wrongly (s3rver 3.7 drops common prefixes more than one level deep).
 */
export async function serveS3(
  buckets: string[],
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const store = new Map(buckets.map((b) => [b, new Map<string, Buffer>()]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(store, req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function handle(
  store: Map<string, Map<string, Buffer>>,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): void {
  const url = new URL(req.url!, "http://x");
  const [, bucketName, ...rest] = url.pathname.split("/");
  const key = decodeURIComponent(rest.join("/"));
  const bucket = store.get(bucketName);
  if (!bucket) return error(res, 404, "NoSuchBucket");
  const q = url.searchParams;
  if (req.method === "GET" && key === "") return list(bucket, q, res);
  if (req.method === "POST" && q.has("delete")) {
    for (const m of body.toString().matchAll(/<Key>([^<]*)<\/Key>/g))
      bucket.delete(unescapeXml(m[1]));
    return xml(res, "<DeleteResult></DeleteResult>");
  }
  const object = bucket.get(key);
  switch (req.method) {
    case "PUT":
      if (req.headers["if-none-match"] === "*" && object)
        return error(res, 412, "PreconditionFailed");
      bucket.set(key, body);
      res.writeHead(200, { ETag: '"0"' }).end();
      return;
    case "DELETE":
      bucket.delete(key);
      res.writeHead(204).end();
      return;
    case "HEAD":
      if (!object) return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Length": object.length }).end();
      return;
    case "GET": {
      if (!object) return error(res, 404, "NoSuchKey");
      const m = /^bytes=(\d+)-(\d+)?$/.exec(req.headers.range ?? "");
      if (!m) return void res.writeHead(200, { "Content-Length": object.length }).end(object);
      const start = Number(m[1]);
      if (start >= object.length) return error(res, 416, "InvalidRange");
      const end = Math.min(object.length - 1, m[2] ? Number(m[2]) : object.length - 1);
      res
        .writeHead(206, {
          "Content-Range": `bytes ${start}-${end}/${object.length}`,
          "Content-Length": end - start + 1,
        })
        .end(object.subarray(start, end + 1));
      return;
    }
  }
  error(res, 405, "MethodNotAllowed");
}

function list(bucket: Map<string, Buffer>, q: URLSearchParams, res: ServerResponse): void {
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const max = Number(q.get("max-keys") ?? 1000);
  const after = q.get("continuation-token") ?? "";
  const entries: { key: string; prefix: boolean }[] = [];
  const seen = new Set<string>();
  for (const key of [...bucket.keys()].sort()) {
    if (!key.startsWith(prefix)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const name = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    if (seen.has(name) || name <= after) continue;
    seen.add(name);
    entries.push({ key: name, prefix: cut >= 0 });
  }
  const page = entries.slice(0, max);
  const truncated = entries.length > max;
  const contents = page
    .filter((e) => !e.prefix)
    .map(
      (e) =>
        `<Contents><Key>${escapeXml(e.key)}</Key><Size>${bucket.get(e.key)!.length}</Size></Contents>`,
    );
  const prefixes = page
    .filter((e) => e.prefix)
    .map((e) => `<CommonPrefixes><Prefix>${escapeXml(e.key)}</Prefix></CommonPrefixes>`);
  const next = truncated
    ? `<NextContinuationToken>${escapeXml(page[page.length - 1].key)}</NextContinuationToken>`
    : "";
  xml(
    res,
    `<ListBucketResult><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${next}${contents.join("")}${prefixes.join("")}</ListBucketResult>`,
  );
}

function xml(res: ServerResponse, body: string): void {
  res
    .writeHead(200, { "Content-Type": "application/xml" })
    .end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function error(res: ServerResponse, status: number, code: string): void {
  res
    .writeHead(status, { "Content-Type": "application/xml" })
    .end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
    );
}

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
