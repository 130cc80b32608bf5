/** A pass's per-query statistics -> the reported figures, whichever pass measured them. */
import { calibration } from './reliability';
import type { AnalysisDetail, AnalysisResult, MetricPassInput, MetricPassResult, RetrievalStats } from './types';

/** R@K = 100 mean[rank < K]; median and mean rank are 1-based (rank 0 = the true match is first). */
export function retrievalStats(ranks: Int32Array, ks: number[]): RetrievalStats {
  const n = ranks.length;
  const sorted = Int32Array.from(ranks).sort();
  const mid = n >> 1;
  const median = n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  let sum = 0;
  for (let q = 0; q < n; q++) sum += ranks[q];
  const stats: RetrievalStats = { 'R@1': 0, 'R@5': 0, 'R@10': 0, median_rank: median + 1, mean_rank: sum / n + 1 };
  for (const k of [...new Set([1, 5, 10, ...ks])].sort((p, q) => p - q)) {
    let hits = 0;
    for (let q = 0; q < n; q++) if (ranks[q] < k) hits++;
    stats[`R@${k}`] = (100 * hits) / n;
  }
  return stats;
}

/** The analyze JSON (exact figures) and the per-pair arrays the views draw, from a pass's statistics. */
export function summarize(
  input: MetricPassInput,
  pass: MetricPassResult,
): { result: AnalysisResult; detail: AnalysisDetail } {
  const { ni, nt, options } = input;
  const { owner } = input.pairing;
  const { i2t, t2i, expSum } = pass;
  let alignmentSum = 0;
  let hardestNegativeAlignmentI2tSum = 0;
  let hardestNegativeAlignmentT2iSum = 0;
  for (let k = 0; k < nt; k++) {
    const positive = i2t.positive[k];
    alignmentSum += 2 - 2 * positive;
    hardestNegativeAlignmentI2tSum += 2 * i2t.hardestNegative[owner[k]] - 2 * positive;
    hardestNegativeAlignmentT2iSum += 2 * t2i.hardestNegative[k] - 2 * t2i.positive[k];
  }
  const pairs = (m: number) => (m * (m - 1)) / 2;
  const i2tCalibration = calibration(i2t.confidence, i2t.correct, options.eceBins);
  const t2iCalibration = calibration(t2i.confidence, t2i.correct, options.eceBins);
  const result: AnalysisResult = {
    n: nt,
    dim: input.dim,
    uniformity: Math.log((expSum.image + expSum.text + expSum.cross) / pairs(ni + nt)),
    uniformity_image: Math.log(expSum.image / pairs(ni)),
    uniformity_text: Math.log(expSum.text / pairs(nt)),
    alignment: alignmentSum / nt,
    hardest_negative_alignment_i2t: hardestNegativeAlignmentI2tSum / nt,
    hardest_negative_alignment_t2i: hardestNegativeAlignmentT2iSum / nt,
    modality_gap: pass.modalityGap,
    i2t: retrievalStats(i2t.rank, options.ks),
    t2i: retrievalStats(t2i.rank, options.ks),
    ece: i2tCalibration.ece,
    ece_t2i: t2iCalibration.ece,
    ece_tau: options.eceTau,
    uniformity_t: options.uniformityT,
    n_image: ni,
    n_text: nt,
    input_norms: input.norms,
  };
  const detail: AnalysisDetail = {
    positive: i2t.positive,
    hardestNegativeI2T: i2t.hardestNegative,
    hardestNegativeT2I: t2i.hardestNegative,
    ranksI2T: i2t.rank,
    ranksT2I: t2i.rank,
    reliability: i2tCalibration.reliability,
  };
  return { result, detail };
}
