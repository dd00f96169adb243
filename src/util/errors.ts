/**
 * Errors meant for the user: one line that names the file, variable, dimension or chunk at
 * fault. The CLI prints `message` alone (no stack) and exits 1; anything that is not a
 * `DaeError` is a bug and is printed with its stack only under `--debug`.
 */
export class DaeError extends Error {
  override name = "DaeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A file, store, array or chunk whose bytes or metadata are not what they claim. */
export class FormatError extends DaeError {
  override name = "FormatError";
}

/** A path, key, variable, dimension or argument that does not exist or is not allowed. */
export class InputError extends DaeError {
  override name = "InputError";
}

/** A plan that cannot run within the memory budget, or a result too large to load. */
export class MemoryBudgetError extends DaeError {
  override name = "MemoryBudgetError";
}

/** Throws an `InputError`/`FormatError` (by `kind`) unless `condition` holds. */
export function check(
  condition: unknown,
  message: string | (() => string),
  kind: typeof DaeError = FormatError,
): asserts condition {
  if (!condition) throw new kind(typeof message === "string" ? message : message());
}
