import { Redis } from "ioredis";
import { DaeError, InputError } from "../../util/errors.js";
import { PASSWORD_ENV, URL_PASSWORD, type RedisSecurity } from "./redis-security.js";

/** How long a first connection may take before the URL is reported unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** `url` with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

/** The password to send: given, in the URL, or from the environment (given and in the URL both: refused). */
function passwordFor(url: string, given: string | undefined): string | undefined {
  const inUrl = URL_PASSWORD.test(url);
  if (given !== undefined && inUrl)
    throw new InputError(
      `${redactRedisUrl(url)}: a password is in the URL and given apart: give it once (better apart: a URL shows in ps)`,
    );
  if (inUrl) return undefined; // ioredis takes it from the URL
  return given ?? (process.env[PASSWORD_ENV] || undefined);
}

/**
 * Connects to Redis at `url` (`redis://[user[:password]@]host[:port][/db]`, or `rediss://` for
 * TLS) and waits until it answers. The password comes from `security.password`, the URL or
 * `DAE_REDIS_PASSWORD`. With `requireTls`, a URL that is not `rediss://` is refused before
 * connecting; with `requireAuth`, a server that also answers a client without a password is
 * refused. Once connected, commands wait through reconnections (a Redis restart) instead of
 * failing, as BullMQ needs; a first connection that does not come up in time is a one-line
 * error naming the URL (password hidden) and the cause.
 *
 * @example
 * ```ts
 * const redis = await connectRedis("rediss://redis.lan:6380", { requireTls: true, requireAuth: true });
 * ```
 */
export async function connectRedis(url: string, security: RedisSecurity = {}): Promise<Redis> {
  if (!/^rediss?:\/\//i.test(url))
    throw new InputError(
      `${redactRedisUrl(url)}: a Redis URL must start with redis:// or rediss://`,
    );
  if (security.requireTls && !/^rediss:/i.test(url))
    throw new InputError(
      `${redactRedisUrl(url)}: not a TLS connection (rediss://); refused (--require-tls)`,
    );
  const password = passwordFor(url, security.password);
  if (security.requireAuth && password === undefined && !URL_PASSWORD.test(url))
    throw new InputError(
      `${redactRedisUrl(url)}: no Redis password given (${PASSWORD_ENV}, --redis-password-file or the URL); refused (--require-auth)`,
    );
  const redis = await connect(url, password === undefined ? {} : { password });
  if (security.requireAuth && (await answersWithoutPassword(url))) {
    redis.disconnect();
    throw new DaeError(
      `Redis at ${redactRedisUrl(url)} answers clients without a password; refused (--require-auth)`,
    );
  }
  return redis;
}

/** Whether the server at `url` answers a client that sends no credentials. */
async function answersWithoutPassword(url: string): Promise<boolean> {
  const bare = new URL(url);
  bare.username = bare.password = "";
  const probe = new Redis(bare.toString(), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false; // NOAUTH (or it would not let us in at all)
  } finally {
    probe.disconnect();
  }
}

async function connect(url: string, extra: { password?: string }): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, ...extra });
  let lastError: Error | undefined;
  const onError = (e: Error) => (lastError = e);
  redis.on("error", onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error("timed out")), CONNECT_TIMEOUT_MS)),
      ),
    ]);
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    const why = lastError?.message ?? (e as Error).message;
    throw new DaeError(`cannot connect to Redis at ${redactRedisUrl(url)}: ${why}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  // later errors (a restart) are retried by ioredis; keep a listener so they are not unhandled
  return redis;
}
