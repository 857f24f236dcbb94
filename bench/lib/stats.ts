/**
 * Small statistics for the bench: medians, percentiles, rounding.
 */

/** The median (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The p-th percentile (0..100), nearest rank, of unsorted `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(rank, 1)) - 1] as number;
}

/** Rounds to `digits` decimals (for JSON and tables). */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Pairwise ratios a[i] / b[i]. */
export function ratios(a: number[], b: number[]): number[] {
  return a.map((value, i) => value / (b[i] as number));
}

/** `12,345` */
export const thousands = (n: number) => Math.round(n).toLocaleString("en-US");

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Writes a progress line to stderr (stdout is kept for results). */
export function progress(message: string): void {
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
}
