import { readFileSync } from "node:fs";
import { InputError } from "../../util/errors.js";

// Apart from redis.ts so that the CLI reads these without loading ioredis.

/** The environment variable a Redis password is taken from when neither the URL nor a file gives one. */
export const PASSWORD_ENV = "DAE_REDIS_PASSWORD";

/** How a client authenticates to Redis and what it demands of the server. */
export interface RedisSecurity {
  /**
   * The password (e.g. read with `readPasswordFile`). Default: the URL's, else the
   * `DAE_REDIS_PASSWORD` environment variable; a password in a URL is visible in `ps`.
   */
  password?: string;
  /** Refuse a server that answers clients without a password (and refuse to go without one). */
  requireAuth?: boolean;
  /** Refuse a URL that is not `rediss://` (TLS). */
  requireTls?: boolean;
}

/** A URL with a password in it. */
export const URL_PASSWORD = /^rediss?:\/\/[^/@]*:[^@/]+@/i;

/** A Redis password kept in a file (`--redis-password-file`): its content without the final newline. */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`--redis-password-file ${file}: ${(e as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, "");
  if (!password || /[\r\n]/.test(password))
    throw new InputError(`--redis-password-file ${file}: must hold one line, the password`);
  return password;
}
