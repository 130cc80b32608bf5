/** The metrics table of a comparison: every metric of every checkpoint, with deltas against a baseline. */
import type { AnalysisResult } from '../../core/metrics/types';
import { metricInfos, metricValue, type MetricInfo } from '../../protocol/metricInfo';
import type { MetricRow, Verdict } from '../../protocol/comparePanel';

/** A change too small to show at the metric's precision is no change (float32 noise, equal recall). */
function verdict(info: MetricInfo, delta: number): Verdict {
  if (!(Math.abs(delta) >= 0.5 * 10 ** -info.decimals)) return 'same';
  return delta < 0 === (info.better === 'lower') ? 'better' : 'worse';
}

/** One metric's row: each checkpoint's value, its delta against the baseline and which way it went. */
export function metricRow(info: MetricInfo, values: number[], baseline: number): MetricRow {
  const deltas = values.map((v) => v - values[baseline]);
  return { ...info, values, deltas, verdicts: deltas.map((d, i) => (i === baseline ? 'baseline' : verdict(info, d))) };
}

export function metricRows(results: AnalysisResult[], baseline: number): MetricRow[] {
  return metricInfos.map((info) =>
    metricRow(
      info,
      results.map((r) => metricValue(r, info.key)),
      baseline,
    ),
  );
}
