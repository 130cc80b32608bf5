/**
 * Which way each metric improves, stated once: the analysis cards, the compare table and the CLI
 * (src/protocol/metricInfo.ts) and the pick of best.safetensors (train/bestMetric.ts) all read it here.
 */

export type Better = 'lower' | 'higher';

/** The metrics of an AnalysisResult, keyed by their path in it (nested keys joined with '.'). */
export const analysisMetricBetter = {
  uniformity: 'lower',
  uniformity_image: 'lower',
  uniformity_text: 'lower',
  alignment: 'lower',
  hardest_negative_alignment_i2t: 'lower',
  hardest_negative_alignment_t2i: 'lower',
  modality_gap: 'lower',
  'i2t.R@1': 'higher',
  'i2t.R@5': 'higher',
  'i2t.R@10': 'higher',
  'i2t.median_rank': 'lower',
  'i2t.mean_rank': 'lower',
  't2i.R@1': 'higher',
  't2i.R@5': 'higher',
  't2i.R@10': 'higher',
  't2i.median_rank': 'lower',
  't2i.mean_rank': 'lower',
  ece: 'lower',
} as const satisfies Record<string, Better>;

export type AnalysisMetricKey = keyof typeof analysisMetricBetter;

/** The metrics of a ZeroShotResult, keyed by their name in it. */
export const zeroShotMetricBetter = {
  top1: 'higher',
  top5: 'higher',
  balanced: 'higher',
  ece: 'lower',
} as const satisfies Record<string, Better>;

export type ZeroShotMetricKey = keyof typeof zeroShotMetricBetter;
