/**
 * JSON that keeps the numbers plain JSON loses: `JSON.stringify` writes NaN, Infinity and
 * -Infinity all as `null` and -0 as `0`, so two specs that differ only there would get the
 * same text (the same graph node id, the same resume identity) and a plan sent to workers
 * would arrive with `null` in place of Infinity. These write such a number as
 * `{"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}` and read it back.
 *
 * @example
 * ```ts
 * const text = JSON.stringify({ fill: -Infinity }, exactReplacer); // {"fill":{"$number":"-Infinity"}}
 * JSON.parse(text, exactReviver).fill; // -Infinity
 * ```
 */
export function exactReplacer(_key: string, value: unknown): unknown {
  if (typeof value !== "number") return value;
  if (Number.isNaN(value)) return { $number: "NaN" };
  if (value === Infinity) return { $number: "Infinity" };
  if (value === -Infinity) return { $number: "-Infinity" };
  if (Object.is(value, -0)) return { $number: "-0" };
  return value;
}

const SPECIAL: Record<string, number> = { NaN, Infinity, "-Infinity": -Infinity, "-0": -0 };

/** The reviver of {@link exactReplacer}'s text: `{"$number": ...}` back to the number. */
export function exactReviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const special = (value as { $number?: unknown }).$number;
  if (keys.length === 1 && typeof special === "string" && special in SPECIAL)
    return SPECIAL[special];
  return value;
}
