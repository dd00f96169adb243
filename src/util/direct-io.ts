import { promises as fs } from "node:fs";
import { optionalAddon } from "./optional-addon.js";

/** Files smaller than this are written through the page cache: metadata, small chunks. */
const DIRECT_MIN_BYTES = 1 << 20;

let native:
  | {
      writeDirect(fd: number, data: Uint8Array): Promise<boolean>;
      readDirect(fd: number, data: Uint8Array, offset: number): Promise<number>;
    }
  | null
  | undefined;

function binding(): typeof native {
  // not built here: writes go through the page cache, slower on some machines, same bytes
  if (native === undefined)
    native = optionalAddon<NonNullable<typeof native>>("dae-direct-io", "DAE_DIRECT_IO") ?? null;
  return native;
}

/**
 * Writes `data` as the whole content of the new file `file` past the page cache (O_DIRECT,
 * in the thread pool; the optional native `dae-direct-io`), or returns false: for small data,
 * where the addon is not built or `DAE_DIRECT_IO=0`, or where the file system refuses
 * O_DIRECT (the file is then left empty). The caller then writes it as usual.
 *
 * Why: a written chunk otherwise takes fresh page-cache pages, which the virtual machines
 * this was measured on charge as first touches of guest memory, as much system time as zstd
 * takes to compress the chunk. Chunks
 * are written once and not read back by the run that writes them.
 */
export async function writeFileDirect(file: string, data: Uint8Array): Promise<boolean> {
  if (data.length < DIRECT_MIN_BYTES) return false;
  const b = binding();
  if (!b) return false;
  const handle = await fs.open(file, "w");
  try {
    return await b.writeDirect(handle.fd, data);
  } finally {
    await handle.close();
  }
}

/**
 * Reads `data.length` bytes of the open file `fd` from `offset` into `data` past the page
 * cache, returning how many it read (fewer at the end of the file), or -1 having read nothing
 * where `writeFileDirect` would not write. For files read once that are not in the page cache
 * (a rechunk's intermediate, written by `writeFileDirect`): read through the cache, each would
 * take fresh pages again.
 */
export async function readDirect(fd: number, data: Uint8Array, offset: number): Promise<number> {
  if (data.length < DIRECT_MIN_BYTES) return -1;
  const b = binding();
  return b ? b.readDirect(fd, data, offset) : -1;
}
