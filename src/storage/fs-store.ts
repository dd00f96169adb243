import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fstatSync,
  open as fsOpen,
  promises as fs,
  read as fsRead,
  readlinkSync,
  realpathSync,
} from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import { valueTooLarge, type ByteSource, type Store } from "./store.js";
import { safeKey } from "./keys.js";
import { DaeError, InputError } from "../util/errors.js";
import { readDirect, writeFileDirect } from "../util/direct-io.js";
import { releaseScratch, takeScratch } from "../util/scratch-buffers.js";
import { notRegularFile, openRegularFile, READ_NONBLOCK } from "./regular-file.js";

/**
 * A store in a local directory. Writes go to a temporary file beside the target and are
 * renamed into place, so a chunk is never seen half-written; large ones past the page cache
 * (`writeFileDirect`). Symlinks that lead out of the root are refused.
 */
export class FsStore implements Store {
  readonly url: string;
  private realRoot?: string;

  constructor(
    readonly root: string,
    readonly writable = false,
    /** Read whole large files past the page cache (`readDirect`): for stores read once that are not in it. */
    readonly directReads = false,
  ) {
    this.url = root;
  }

  private async resolve(key: string): Promise<string> {
    const file = path.join(this.root, safeKey(key, this.root));
    // a symlink inside the store must not lead outside it: check the file, or for a file that
    // does not exist yet (a write), the nearest folder above it that does
    for (let at = file; ; at = path.dirname(at)) {
      try {
        this.checkInside(await fs.realpath(at), key);
        return file;
      } catch (e) {
        if (e instanceof DaeError) throw e;
        if (!isMissing(e) || path.relative(this.root, at) === "") return file;
      }
    }
  }

  async get(key: string, maxBytes = Infinity): Promise<Uint8Array | undefined> {
    return this.withFile(key, async (fd, file, size) => {
      if (size > maxBytes) throw valueTooLarge(file, size, maxBytes);
      try {
        // one read of the whole file (readFile reads 512 KB per thread-pool round trip)
        if (this.directReads) {
          const buf = takeScratch(size);
          if ((await readDirect(fd, buf, 0)) === size) return buf;
          releaseScratch(buf);
        }
        return await readFully(fd, 0, size);
      } catch (e) {
        throw ioError(e, file);
      }
    });
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    return this.withFile(key, (fd, file, size) => {
      const from = offset < 0 ? Math.max(0, size + offset) : offset;
      // never more than the file holds: a length read from a lying header allocates nothing
      return readFully(fd, from, Math.max(0, Math.min(length, size - from)));
    });
  }

  /**
   * Runs `read` on the open file of `key` and closes it; undefined where there is no such file.
   * Two thread-pool round trips (open, read): a task's worker waits on them between decodes,
   * so each one costs a core's idle time.
   * Where /proc tells what an open file really is, links are checked on the opened file
   * itself (no realpath round trip, and no race between the check and the open). Only regular
   * files are read: the open does not block (a FIFO would), and the opened file's type decides.
   */
  private async withFile(
    key: string,
    read: (fd: number, file: string, size: number) => Promise<Uint8Array>,
  ): Promise<Uint8Array | undefined> {
    const file = PROC_FD ? path.join(this.root, safeKey(key, this.root)) : await this.resolve(key);
    let fd: number;
    try {
      fd = await openAsync(file, READ_NONBLOCK);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw ioError(e, file);
    }
    try {
      if (PROC_FD) this.checkInside(readlinkSync(`${PROC_FD}/${fd}`), key);
      const stat = fstatSync(fd);
      const refused = notRegularFile(file, stat);
      if (refused) throw refused;
      if (stat.isDirectory()) throw ioError({ code: "EISDIR" }, file);
      return await read(fd, file, stat.size);
    } finally {
      closeSync(fd);
    }
  }

  /** Refuses a real path outside the store's root. */
  private checkInside(real: string, key: string): void {
    this.realRoot ??= realpathSync(this.root);
    if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep))
      throw new InputError(`${this.root}: "${key}" is a link that leads out of the store; refused`);
  }

  async size(key: string): Promise<number | undefined> {
    const file = await this.resolve(key);
    try {
      return (await fs.stat(file)).size;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw ioError(e, file);
    }
  }

  async set(key: string, bytes: Uint8Array): Promise<void> {
    await this.writeBeside(key, bytes, (tmp, file) => fs.rename(tmp, file));
  }

  async setIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    return this.writeBeside(key, bytes, async (tmp, file) => {
      try {
        // link() fails when the name exists: exclusive, and the content is whole once visible
        await fs.link(tmp, file);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw e;
      } finally {
        await fs.rm(tmp, { force: true }).catch(() => undefined);
      }
    });
  }

  /**
   * Writes `bytes` to a temporary file beside `key`'s and lets `publish` give it the key's name
   * (a rename, a link): a reader never sees a partly written value. The temporary file is
   * removed if anything fails.
   */
  private async writeBeside<R>(
    key: string,
    bytes: Uint8Array,
    publish: (tmp: string, file: string) => Promise<R>,
  ): Promise<R> {
    if (!this.writable) throw new InputError(`${this.root} is opened read-only`);
    const file = await this.resolve(key);
    const tmp = `${file}.${randomBytes(6).toString("hex")}.partial`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFile(tmp, bytes);
      return await publish(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw ioError(e, file);
    }
  }

  async append(key: string, bytes: Uint8Array): Promise<void> {
    if (!this.writable) throw new InputError(`${this.root} is opened read-only`);
    const file = await this.resolve(key);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.appendFile(file, bytes); // O_APPEND: one write at the end, whatever else appends
    } catch (e) {
      throw ioError(e, file);
    }
  }

  async delete(key: string): Promise<void> {
    if (!this.writable) throw new InputError(`${this.root} is opened read-only`);
    const file = await this.resolve(key);
    await fs.rm(file, { force: true, recursive: true }).catch((e) => {
      throw ioError(e, file);
    });
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix === "" ? this.root : await this.resolve(prefix);
    try {
      return (await fs.readdir(dir)).filter((n) => !n.endsWith(".partial"));
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === "ENOTDIR") return [];
      throw ioError(e, dir);
    }
  }
}

/** One local regular file read with positioned reads (never loaded whole). */
export class FileSource implements ByteSource {
  private handle?: Promise<fs.FileHandle>;
  private bytes?: number;

  constructor(readonly url: string) {}

  private open(): Promise<fs.FileHandle> {
    this.handle ??= openRegularFile(this.url).catch((e) => {
      throw e instanceof DaeError ? e : ioError(e, this.url);
    });
    return this.handle;
  }

  async size(): Promise<number> {
    this.bytes ??= (await (await this.open()).stat()).size;
    return this.bytes;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = await readFully((await this.open()).fd, offset, length);
    if (out.length < length)
      throw new DaeError(
        `${this.url}: file ends at byte ${offset + out.length}, expected ${offset + length} (truncated?)`,
      );
    return out;
  }

  async close(): Promise<void> {
    if (this.handle) await (await this.handle).close();
    this.handle = undefined;
  }
}

/** Writes a new file: large ones past the page cache where the file system allows (`writeFileDirect`). */
async function writeFile(file: string, bytes: Uint8Array): Promise<void> {
  if (!(await writeFileDirect(file, bytes))) await fs.writeFile(file, bytes);
}

async function readFully(fd: number, offset: number, length: number): Promise<Uint8Array> {
  // not zero-filled: every byte is read over (or cut off below); its reader gives it back
  const buf = takeScratch(length);
  let got = 0;
  while (got < length) {
    const bytesRead = await readAsync(fd, buf, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** Where the links of this process's open files tell their real paths (Linux), if anywhere. */
const PROC_FD = existsSync("/proc/self/fd") ? "/proc/self/fd" : undefined;
const openAsync = promisify(fsOpen);
const readAsync = (fd: number, buf: Uint8Array, at: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fsRead(fd, buf, at, length, position, (e, n) => (e ? reject(e) : resolve(n))),
  );

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  // a key below a file ("a/0/zarr.json" where "a/0" is a chunk) does not exist either
  return code === "ENOENT" || code === "ENOTDIR";
}

/** A filesystem error as a one-line user error naming the file. */
export function ioError(e: unknown, file: string): DaeError {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EROFS: "read-only file system",
    EPERM: "operation not permitted",
    ENOSPC: "no space left on device",
    EISDIR: "is a directory",
    ENOTDIR: "a parent is not a directory",
  };
  return new DaeError(`${file}: ${why[err.code ?? ""] ?? err.message}`, { cause: e });
}
