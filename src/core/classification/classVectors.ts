import type { ClassificationSet } from './classificationSet';

/**
 * w_c = normalise(mean_p normalise(t_cp)) (CLIP's prompt ensembling), accumulated in float64; with one
 * prompt it is normalise(t_c). Returned as (C, D) float32, the precision the score products run in.
 */
export function classVectors({ classes, prompts, dim, data }: ClassificationSet['classEmbeds']): Float32Array {
  const out = new Float32Array(classes * dim);
  const mean = new Float64Array(dim);
  for (let c = 0; c < classes; c++) {
    mean.fill(0);
    for (let p = 0; p < prompts; p++) {
      const base = (c * prompts + p) * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += data[base + d] * data[base + d];
      const inv = 1 / Math.sqrt(s);
      for (let d = 0; d < dim; d++) mean[d] += data[base + d] * inv;
    }
    let s = 0;
    for (let d = 0; d < dim; d++) s += mean[d] * mean[d];
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) out[c * dim + d] = mean[d] * inv;
  }
  return out;
}
