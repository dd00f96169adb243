import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Store } from "./store.js";
import { InputError } from "../util/errors.js";

/**
 * The folder of a writer's records inside its output (its lock; a run's plan and finished
 * tasks): there while the output is being written or was left unfinished. Zarr readers skip
 * it (its name starts with a dot).
 */
export const RUN_DIR = ".dae";

/** Where an output's lock lives, beside the run's other records. */
export const LOCK_KEY = `${RUN_DIR}/lock`;

/** What a lock says about its holder. */
export interface LockInfo {
  /** Random id of this holding (a lock taken over by another run has another token). */
  token: string;
  pid: number;
  hostname: string;
  /** When the holder started, and when it last said it is alive (ms since the epoch). */
  started: number;
  heartbeat: number;
}

/** Options of `acquireLock`. */
export interface LockOptions {
  /** A lock whose heartbeat is older than this is stale (default 30 s). */
  staleAfterMs?: number;
  /** Told when a stale lock is taken over. */
  onNote?: (message: string) => void;
  /** Told when another run took the lock away (the holder should stop writing). */
  onLost?: (message: string) => void;
}

const DEFAULT_STALE_MS = 30_000;

/**
 * An exclusive claim on an output store by one run: `.dae/lock` holds the holder's pid,
 * host and a heartbeat refreshed in the background. A second run refuses to write the same
 * output while the holder is alive; a lock whose process is gone (same host) or whose
 * heartbeat stopped is stale and taken over, with a note.
 */
export class OutputLock {
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private released = false;

  private constructor(
    private readonly store: Store,
    readonly info: LockInfo,
    private readonly options: LockOptions,
  ) {}

  /**
   * Takes the lock of `store`, or throws an `InputError` naming the run that holds it.
   *
   * @example
   * ```ts
   * const lock = await OutputLock.acquire(store, { onNote: console.warn });
   * try { ... } finally { await lock.release(); }
   * ```
   */
  static async acquire(store: Store, options: LockOptions = {}): Promise<OutputLock> {
    const staleAfter = options.staleAfterMs ?? DEFAULT_STALE_MS;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const info: LockInfo = {
        token: randomBytes(12).toString("hex"),
        pid: process.pid,
        hostname: hostname(),
        started: now,
        heartbeat: now,
      };
      if (await createExclusive(store, encode(info))) {
        const lock = new OutputLock(store, info, options);
        lock.beat(Math.max(100, Math.floor(staleAfter / 4)));
        return lock;
      }
      const held = await readLock(store);
      if (held === undefined) continue; // released meanwhile: try again
      const stale = staleReason(held, staleAfter);
      if (!stale) throw heldError(store, held);
      options.onNote?.(`${store.url}: taking over a stale lock (${stale})`);
      await store.delete(LOCK_KEY);
    }
    throw new InputError(`${store.url}: another run took the lock at the same moment; try again`);
  }

  /** Refreshes the heartbeat, and notices when another run has taken the lock. */
  private beat(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.beating ??= this.refresh()
        .catch(() => undefined) // a missed beat is retried on the next tick
        .finally(() => (this.beating = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    if (this.released) return;
    const held = await readLock(this.store);
    if (held?.token !== this.info.token) {
      this.stop();
      this.options.onLost?.(
        `${this.store.url}: the output's lock was taken by ${held ? `pid ${held.pid} on ${held.hostname}` : "another run"}; stopping`,
      );
      return;
    }
    if (this.released) return;
    this.info.heartbeat = Date.now();
    await this.store.set(LOCK_KEY, encode(this.info));
  }

  private stop(): void {
    this.released = true;
    clearInterval(this.timer);
  }

  /** Stops the heartbeat and removes the lock, if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.stop();
    // a beat in progress must not write the lock back after it is removed
    await this.beating;
    const held = await readLock(this.store);
    if (held?.token === this.info.token) await this.store.delete(LOCK_KEY);
  }
}

/** The lock of `store`, if any (an unreadable lock reads as one with no heartbeat). */
export async function readLock(store: Store): Promise<LockInfo | undefined> {
  const bytes = await store.get(LOCK_KEY);
  if (!bytes) return undefined;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (
      typeof v.token === "string" &&
      Number.isInteger(v.pid) &&
      typeof v.hostname === "string" &&
      Number.isFinite(v.heartbeat)
    )
      return v as LockInfo;
  } catch {
    // fall through: a torn or foreign file
  }
  return { token: "", pid: 0, hostname: "", started: 0, heartbeat: 0 };
}

/** Refuses to write `store` while a live run holds its lock. */
export async function refuseIfHeld(store: Store, staleAfterMs = DEFAULT_STALE_MS): Promise<void> {
  const held = await readLock(store);
  if (held && !staleReason(held, staleAfterMs)) throw heldError(store, held);
}

function heldError(store: Store, held: LockInfo): InputError {
  return new InputError(`${store.url}: ${describeHolder(held)}; wait for it to finish or stop it`);
}

/** Why a lock is stale, or undefined when its holder looks alive. */
export function staleReason(info: LockInfo, staleAfterMs = DEFAULT_STALE_MS): string | undefined {
  if (!info.token) return "the lock file is unreadable";
  if (info.hostname === hostname() && !processAlive(info.pid))
    return `pid ${info.pid} on ${info.hostname} is gone`;
  const age = Date.now() - info.heartbeat;
  if (age > staleAfterMs)
    return `pid ${info.pid} on ${info.hostname} sent no heartbeat for ${Math.round(age / 1000)} s`;
  return undefined;
}

/** "being written by pid 123 on host (heartbeat 2 s ago)". */
export function describeHolder(info: LockInfo): string {
  const age = Math.max(0, Math.round((Date.now() - info.heartbeat) / 1000));
  return `is being written by another run (pid ${info.pid} on ${info.hostname}, started ${new Date(info.started).toISOString()}, heartbeat ${age} s ago)`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function createExclusive(store: Store, bytes: Uint8Array): Promise<boolean> {
  if (store.setIfAbsent) return store.setIfAbsent(LOCK_KEY, bytes);
  // a store without exclusive creation: check, then write (a narrow race, caught by the heartbeat's token check)
  if ((await store.size(LOCK_KEY)) !== undefined) return false;
  await store.set(LOCK_KEY, bytes);
  return true;
}

function encode(info: LockInfo): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(info));
}
