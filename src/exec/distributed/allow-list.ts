import { realpathSync } from "node:fs";
import path from "node:path";
import { InputError } from "../../util/errors.js";

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A URL as origin and `/`-separated path (no trailing slash), or undefined when it is not one we compare. */
interface UrlLocation {
  origin: string;
  path: string;
}

/**
 * The stores a `dae worker` may read and write: those named when it started (`--allow`), and
 * nothing else — an empty list allows nothing. Local paths are compared by their real paths
 * (links resolved, at start and again each time a store is opened), so a link inside an
 * allowed folder that leads outside it is refused; URLs by origin (scheme, host, port) and
 * path prefix, and one with `.`/`..` segments, a query or a fragment is refused outright.
 *
 * @example
 * ```ts
 * const allow = AllowList.of(["/data/era5", "s3://bucket/runs"]);
 * allow.check("/data/era5/t2m.zarr", "input"); // its real path, to open
 * allow.check("/etc", "input"); // throws: outside the stores this worker may use
 * ```
 */
export class AllowList {
  private constructor(
    /** Real paths of the allowed local folders and files. */
    private readonly paths: readonly string[],
    private readonly urls: readonly UrlLocation[],
  ) {}

  /** The allow list of `entries` (paths must exist: they are resolved to real paths now). */
  static of(entries: readonly string[]): AllowList {
    const paths: string[] = [];
    const urls: UrlLocation[] = [];
    for (const entry of entries) {
      if (URL_SCHEME.test(entry)) {
        const url = parseUrl(entry);
        if (!url) throw new InputError(`--allow ${entry}: not a URL this worker can compare`);
        urls.push(url);
        continue;
      }
      try {
        paths.push(realpathSync(path.resolve(entry)));
      } catch (e) {
        throw new InputError(
          `--allow ${entry}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
        );
      }
    }
    return new AllowList(paths, urls);
  }

  /** Whether nothing at all is allowed. */
  get empty(): boolean {
    return this.paths.length === 0 && this.urls.length === 0;
  }

  /**
   * Checks that `location` (a path or URL a job names as its `what`: input, output, kernel
   * module) is allowed, and returns what to open: the real path of a local location (so a
   * link changed after this check is not followed), or the URL as given. Throws an
   * `InputError` naming the location and, for a link, where it leads.
   */
  check(location: string, what: string): string {
    const refuse = (detail = ""): never => {
      throw new InputError(
        `${what} ${location}${detail} is outside the stores this worker may use (dae worker --allow)`,
      );
    };
    if (URL_SCHEME.test(location)) {
      const url = parseUrl(location);
      if (!url) return refuse(" (a URL with . or .. segments, a query or a fragment)");
      const inside = this.urls.some(
        (root) => root.origin === url.origin && isUnder(url.path, root.path, "/"),
      );
      return inside ? location : refuse();
    }
    const real = realLocation(path.resolve(location));
    if (!this.paths.some((root) => isUnder(real, root, path.sep)))
      refuse(real === path.resolve(location) ? "" : ` (a link to ${real})`);
    return real;
  }
}

/** Whether `p` is `root` or lies under it. */
function isUnder(p: string, root: string, sep: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real path of `abs`: of the location itself, or where it does not exist yet, of the
 * nearest folder above it that does, with the missing names appended.
 */
function realLocation(abs: string): string {
  const missing: string[] = [];
  for (let at = abs; ; at = path.dirname(at)) {
    try {
      return path.join(realpathSync(at), ...missing.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ENOTDIR") || path.dirname(at) === at) throw e;
      missing.push(path.basename(at));
    }
  }
}

/**
 * A URL's origin (scheme, host and port as WHATWG URL normalises them: lower case, default
 * port dropped) and path without trailing slashes; undefined for a URL with a dot segment
 * (plain or percent-encoded), an encoded slash or backslash, a query or a fragment, which
 * servers may resolve differently from a plain prefix comparison.
 */
function parseUrl(text: string): UrlLocation | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.search || url.hash || text.includes("?") || text.includes("#")) return undefined;
  // the raw path: URL() resolves dot segments itself, which hides them from this check
  const rawPath = text.replace(URL_SCHEME, "").replace(/^[^/]*/, "");
  const segments = rawPath.split("/");
  for (const s of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      return undefined;
    }
    if (decoded === "." || decoded === ".." || /[/\\]/.test(decoded)) return undefined;
  }
  const origin = url.origin !== "null" ? url.origin : `${url.protocol}//${url.host}`;
  return { origin, path: url.pathname.replace(/\/+$/, "") };
}
