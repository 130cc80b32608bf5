/**
 * The metrics a user sees: one list for the analysis cards, the compare table and the CLI. Which
 * way each is better comes from core/metrics/metricDirection.ts, which the trainer's best-epoch
 * pick reads too.
 */
import type { AnalysisResult } from '../core/metrics/types';
import {
  analysisMetricBetter,
  zeroShotMetricBetter,
  type AnalysisMetricKey,
  type Better,
} from '../core/metrics/metricDirection';

export type { Better } from '../core/metrics/metricDirection';

export interface MetricInfo {
  /** Path into AnalysisResult, nested keys joined with '.'. */
  key: string;
  /** Short name, for table rows. */
  label: string;
  better: Better;
  /** Recall is a percentage already. */
  percent: boolean;
  /** Decimals shown: 4 for continuous metrics, fewer for ranks, 1 for percentages. */
  decimals: number;
}

const continuous = (key: AnalysisMetricKey, label: string): MetricInfo => ({
  key,
  label,
  better: analysisMetricBetter[key],
  percent: false,
  decimals: 4,
});

function retrieval(direction: 'i2t' | 't2i'): MetricInfo[] {
  const arrow = direction === 'i2t' ? 'image → text' : 'text → image';
  return [
    ...([1, 5, 10] as const).map((k): MetricInfo => ({
      key: `${direction}.R@${k}`,
      label: `R@${k} (${arrow})`,
      better: analysisMetricBetter[`${direction}.R@${k}`],
      percent: true,
      decimals: 1,
    })),
    {
      key: `${direction}.median_rank`,
      label: `median rank (${arrow})`,
      better: analysisMetricBetter[`${direction}.median_rank`],
      percent: false,
      decimals: 1,
    },
    {
      key: `${direction}.mean_rank`,
      label: `mean rank (${arrow})`,
      better: analysisMetricBetter[`${direction}.mean_rank`],
      percent: false,
      decimals: 2,
    },
  ];
}

export const metricInfos: MetricInfo[] = [
  continuous('uniformity', 'uniformity (images ∪ texts)'),
  continuous('uniformity_image', 'uniformity (images)'),
  continuous('uniformity_text', 'uniformity (texts)'),
  continuous('alignment', 'alignment'),
  continuous('hardest_negative_alignment_i2t', 'hardest-negative alignment (image → text)'),
  continuous('hardest_negative_alignment_t2i', 'hardest-negative alignment (text → image)'),
  continuous('modality_gap', 'modality gap'),
  ...retrieval('i2t'),
  ...retrieval('t2i'),
  continuous('ece', 'ECE (image → text)'),
];

/** Zero-shot classification, keyed into ZeroShotResult: the cards, the suite table and compared suites. */
export const zeroShotMetricInfos: MetricInfo[] = [
  { key: 'top1', label: 'top-1 accuracy', better: zeroShotMetricBetter.top1, percent: true, decimals: 1 },
  { key: 'top5', label: 'top-5 accuracy', better: zeroShotMetricBetter.top5, percent: true, decimals: 1 },
  { key: 'balanced', label: 'balanced accuracy', better: zeroShotMetricBetter.balanced, percent: true, decimals: 1 },
  { key: 'ece', label: 'ECE', better: zeroShotMetricBetter.ece, percent: false, decimals: 4 },
];

export function zeroShotMetricInfo(key: string): MetricInfo {
  const info = zeroShotMetricInfos.find((m) => m.key === key);
  if (!info) throw new Error(`no zero-shot metric '${key}'`);
  return info;
}

export function metricInfo(key: string): MetricInfo {
  const info = metricInfos.find((m) => m.key === key);
  if (!info) throw new Error(`no metric '${key}'`);
  return info;
}

/** Reads 'i2t.R@1'-style paths; keys themselves may hold '@' but never '.'. */
export function metricValue(m: AnalysisResult, key: string): number {
  let node: unknown = m;
  for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return typeof node === 'number' ? node : NaN;
}
