/** Medians, spreads and number formatting for the benchmark reports. */

/** The median of the finite numbers in `xs` (NaN when there are none). */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** (max − min) / median, as a whole percentage. */
export function spreadPct(xs: readonly number[]): string {
  const s = xs.filter((x) => Number.isFinite(x));
  if (s.length === 0) return '-';
  return `${(((Math.max(...s) - Math.min(...s)) / median(s)) * 100).toFixed(0)}%`;
}

/** A number with thousands separators and `digits` decimals; `-` when missing. */
export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
