/** Percentiles of a list of milliseconds, rounded to 0.01 ms. */
export interface Percentiles {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
}

export const round2 = (v: number): number => Math.round(v * 100) / 100;

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50_ms: 0, p95_ms: 0, p99_ms: 0, mean_ms: 0, max_ms: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { p50_ms: round2(at(0.5)), p95_ms: round2(at(0.95)), p99_ms: round2(at(0.99)), mean_ms: round2(values.reduce((a, b) => a + b, 0) / values.length), max_ms: round2(sorted[sorted.length - 1]!) };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
