import { closeSync, constants, fstatSync, openSync, promises as fs, type Stats } from "node:fs";
import { InputError } from "../util/errors.js";

/**
 * Opening for reading without blocking: a FIFO with no writer would block `open` (and then
 * `read`) forever; O_NONBLOCK makes the open return at once, and the file's type, taken from
 * the opened descriptor (no race with a swap after a check by name), decides. Regular files
 * ignore O_NONBLOCK.
 */
export const READ_NONBLOCK = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * The one-line refusal of something that is not a regular file (FIFO, socket, device), or
 * undefined for a regular file or a folder (folders are the callers' to judge).
 *
 * @example
 * ```ts
 * const refused = notRegularFile("in.nc", statSync("in.nc")); // InputError for a FIFO
 * if (refused) throw refused;
 * ```
 */
export function notRegularFile(file: string, stat: Stats): InputError | undefined {
  if (stat.isFile() || stat.isDirectory()) return undefined;
  const kind = stat.isFIFO()
    ? "a FIFO (named pipe)"
    : stat.isSocket()
      ? "a socket"
      : stat.isCharacterDevice()
        ? "a character device"
        : stat.isBlockDevice()
          ? "a block device"
          : "not a regular file";
  return new InputError(`${file}: is ${kind}, not a regular file; refused`);
}

/** Opens a regular file for reading (anything else refused, without blocking). */
export async function openRegularFile(file: string): Promise<fs.FileHandle> {
  const handle = await fs.open(file, READ_NONBLOCK);
  try {
    const stat = await handle.stat();
    const refused = notRegularFile(file, stat) ?? (stat.isDirectory() ? isFolder(file) : undefined);
    if (refused) throw refused;
    return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** `openRegularFile` for synchronous readers: a file descriptor, closed by the caller. */
export function openRegularFileSync(file: string): number {
  const fd = openSync(file, READ_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    const refused = notRegularFile(file, stat) ?? (stat.isDirectory() ? isFolder(file) : undefined);
    if (refused) throw refused;
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function isFolder(file: string): InputError {
  return new InputError(`${file}: is a directory, not a file`);
}
