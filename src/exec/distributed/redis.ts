import { Redis } from "ioredis";
import { DaeError, InputError } from "../../util/errors.js";

/** How long a first connection may take before the URL is reported unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** `url` with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

/**
 * Connects to Redis at `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` for
 * TLS) and waits until it answers. Once connected, commands wait through reconnections
 * (a Redis restart) instead of failing, as BullMQ needs; a first connection that does not
 * come up in time is a one-line error naming the URL (password hidden) and the cause.
 */
export async function connectRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//i.test(url))
    throw new InputError(
      `${redactRedisUrl(url)}: a Redis URL must start with redis:// or rediss://`,
    );
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
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
