/**
 * Up to three of `candidates` close to `name` (typos), as a " (did you mean …?)" suffix, or "".
 *
 * @example
 * ```ts
 * suggest("meen", ["mean", "max"]); // " (did you mean mean?)"
 * ```
 */
export function suggest(name: string, candidates: string[]): string {
  if (name.length < 3) return "";
  const close = candidates
    .filter(
      (c) =>
        editDistance(c.toLowerCase(), name.toLowerCase()) <=
        Math.max(1, Math.floor(name.length / 3)),
    )
    .slice(0, 3);
  return close.length ? ` (did you mean ${close.join(", ")}?)` : "";
}

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: "levle" is one from "level". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}
