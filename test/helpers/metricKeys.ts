/**
 * The continuous metrics of AnalysisResult (shared/METRICS.md), named once for every test that
 * walks them: the geometry metrics, then the calibration errors of both query directions.
 */
export const geometryKeys = [
  'uniformity',
  'uniformity_image',
  'uniformity_text',
  'alignment',
  'hardest_negative_alignment_i2t',
  'hardest_negative_alignment_t2i',
  'modality_gap',
] as const;

export const continuousKeys = [...geometryKeys, 'ece', 'ece_t2i'] as const;
