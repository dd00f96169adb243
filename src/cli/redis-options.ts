import type { Command } from "commander";
import { readPasswordFile, type RedisSecurity } from "../exec/distributed/redis-security.js";

/** The Redis security options of `dae worker` and `dae run`/`dae plan`, as commander gives them. */
export interface RedisSecurityOptions {
  redisPasswordFile?: string;
  requireAuth?: boolean;
  requireTls?: boolean;
}

/** Adds `--redis-password-file`, `--require-auth` and `--require-tls` to `command`. */
export function addRedisSecurityOptions(command: Command): Command {
  return command
    .option(
      "--redis-password-file <file>",
      "read the Redis password from this file (or set DAE_REDIS_PASSWORD): a password in the URL shows in ps",
    )
    .option("--require-auth", "refuse a Redis server that answers clients without a password")
    .option("--require-tls", "refuse a Redis URL that is not rediss:// (TLS)");
}

/** The security settings the options ask for (the password file read now). */
export function redisSecurity(o: RedisSecurityOptions): RedisSecurity {
  return {
    ...(o.redisPasswordFile !== undefined
      ? { password: readPasswordFile(o.redisPasswordFile) }
      : {}),
    requireAuth: o.requireAuth ?? false,
    requireTls: o.requireTls ?? false,
  };
}
