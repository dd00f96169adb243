/** Bytes as a short human string: 512 B, 3.2 MB, 1.5 GB (powers of 1024). */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let u = 0;
  while (Math.abs(n) >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[u]}`;
}

/**
 * Parses a size like `512MB`, `1.5GB`, `800k` or `4096B`. A number without a unit is refused
 * (undefined): `--memory 512` is far more likely 512 MB meant than 512 bytes.
 */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$/i.exec(s);
  if (!m || (m[2] === "" && m[3] === "")) return undefined;
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[
    m[2].toLowerCase()
  ]!;
  return Math.round(Number(m[1]) * scale);
}

/** Why a size was refused, for messages: a missing unit is said as such. */
export function sizeProblem(s: string): string {
  return /^\s*\d+(\.\d+)?\s*$/.test(s)
    ? `"${s}" has no unit: write e.g. ${s.trim()}MB or ${s.trim()}GB (B for bytes)`
    : `"${s}" is not a size like 512MB or 2GB`;
}

/** Seconds as `1.2 s`, `3 min 4 s`. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
