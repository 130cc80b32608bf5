/** Metric values: 4 decimals unless told; recall (a percentage already) with 1 decimal and a % sign. */
export function formatMetric(value: number, percent: boolean, decimals = 4): string {
  if (!Number.isFinite(value)) return '—';
  return percent ? `${value.toFixed(1)}%` : value.toFixed(decimals);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}
