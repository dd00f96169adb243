import { promises as fs } from "node:fs";
import path from "node:path";
import { isS3Url, parseS3Url } from "../storage/s3-store.js";
import { InputError } from "../util/errors.js";

/**
 * Refuses, before anything is written or deleted, an output that is, contains or lies inside
 * one of `inputs`: `-o data.zarr --overwrite` over `-i data.zarr` would delete the input
 * before reading it. Local paths are compared by their real paths (symlinks in any component
 * resolved; an output that does not exist yet by its nearest existing folder), S3 locations
 * by bucket and prefix; HTTP inputs cannot be written and never clash.
 *
 * @example
 * ```ts
 * await refuseOverlap("out.zarr", ["era5.nc"]); // fine
 * await refuseOverlap("era5.zarr/out.zarr", ["era5.zarr"]); // throws InputError
 * ```
 */
export async function refuseOverlap(output: string, inputs: readonly string[]): Promise<void> {
  const out = await location(output);
  if (!out) return;
  for (const input of new Set(inputs)) {
    const at = await location(input);
    if (!at || at.space !== out.space) continue;
    const clash = relation(out.parts, at.parts);
    if (clash)
      throw new InputError(
        `refusing to write ${output}: it ${clash} the input ${input}; write the output somewhere else`,
      );
  }
}

/** Where a location is: a name space (the local file system, an S3 bucket) and its path parts. */
interface Location {
  space: string;
  parts: string[];
}

async function location(url: string): Promise<Location | undefined> {
  if (/^https?:\/\//i.test(url)) return undefined;
  if (isS3Url(url)) {
    const { bucket, prefix } = parseS3Url(url);
    return { space: `s3://${bucket}`, parts: prefix.split("/").filter(Boolean) };
  }
  return { space: "file", parts: (await realPath(url)).split(path.sep).filter(Boolean) };
}

/**
 * The real path of `p`; for a path that does not exist (yet), the real path of its nearest
 * existing ancestor with the rest appended.
 */
async function realPath(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const rest: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    try {
      return path.join(await fs.realpath(at), ...rest);
    } catch {
      if (path.dirname(at) === at) return absolute;
      rest.unshift(path.basename(at));
    }
  }
}

/** How output `out` sits against input `input`, or undefined when they are apart. */
function relation(out: string[], input: string[]): string | undefined {
  const common = Math.min(out.length, input.length);
  for (let i = 0; i < common; i++) if (out[i] !== input[i]) return undefined;
  if (out.length === input.length) return "is";
  return out.length > input.length ? "lies inside" : "contains";
}
