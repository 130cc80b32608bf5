/** The analysis view's metrics as files: the JSON the CLI's `analyze --json` prints for the same input, or CSV rows of it. */
import { analysisCsv } from './analysisCsv';
import type { AnalysisResult } from '../../core/metrics/types';
import type { SuiteResult, ZeroShotResult } from '../../core/classification/types';
import { isRetrievalSnapshot, type PanelSnapshot } from '../../protocol/analysisPanel';
import type { MetricsFormat } from '../../protocol/export';

/** A classification-only file has no retrieval keys: absent, never zero. */
export type PanelMetrics = AnalysisResult | { zero_shot: ZeroShotResult } | SuiteResult;

export function panelMetrics(s: PanelSnapshot): PanelMetrics {
  if (isRetrievalSnapshot(s)) return s.metrics;
  return s.kind === 'suite' ? s.suite : { zero_shot: s.zeroShot.result };
}

export function panelMetricsText(s: PanelSnapshot, format: MetricsFormat): string {
  const metrics = panelMetrics(s);
  return format === 'json' ? JSON.stringify(metrics, null, 1) + '\n' : analysisCsv(metrics);
}
