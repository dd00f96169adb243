import { DaeError } from "../util/errors.js";

/** How `httpFetch` retries transient failures. */
export interface RetryOptions {
  /** Attempts after the first (default 3). */
  retries?: number;
  /** Delay before the first retry in ms, doubled each time (default 200). */
  retryDelayMs?: number;
}

/** Statuses worth retrying: the server or a proxy was overloaded or restarting. */
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * `fetch` with retries: 5xx/429/408 responses and network failures (resets, refused
 * connections) are retried with exponential backoff; any other response is returned as it
 * is, for the caller to interpret (404 means "absent" to a store, not an error). A failure
 * after the last retry is a one-line `DaeError` naming the URL and the status or cause.
 */
export async function httpFetch(
  url: string,
  init: RequestInit,
  options: RetryOptions = {},
): Promise<Response> {
  const retries = options.retries ?? 3;
  const delay = options.retryDelayMs ?? 200;
  for (let attempt = 0; ; attempt++) {
    let failure: string;
    try {
      const response = await fetch(url, init);
      if (!TRANSIENT_STATUS.has(response.status)) return response;
      failure = `HTTP ${response.status} ${response.statusText}`.trim();
      await response.body?.cancel();
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      failure = networkCause(e);
    }
    if (attempt >= retries)
      throw new DaeError(
        `${init.method ?? "GET"} ${url} failed: ${failure} (after ${attempt + 1} attempts)`,
      );
    // jitter spreads retries of many concurrent readers that failed together
    await new Promise((r) => setTimeout(r, delay * 2 ** attempt * (0.75 + Math.random() / 2)));
  }
}

/** The innermost message of a fetch failure (undici wraps ECONNRESET & co. in `cause`). */
function networkCause(e: unknown): string {
  let err = e as { message?: string; code?: string; cause?: unknown };
  while (err.cause && typeof err.cause === "object") err = err.cause as typeof err;
  return err.code ? `${err.code} ${err.message ?? ""}`.trim() : String(err.message ?? e);
}

/** A one-line error for an HTTP response that is neither success nor "absent". */
export async function httpError(url: string, response: Response, what = "GET"): Promise<DaeError> {
  await response.body?.cancel();
  return new DaeError(
    `${what} ${url} failed: HTTP ${response.status} ${response.statusText}`.trim(),
  );
}

/** The byte range a 206 response holds (`Content-Range: bytes a-b/total`). */
export function parseContentRange(
  header: string | null,
): { start: number; end: number; total?: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? undefined : Number(m[3]) };
}
