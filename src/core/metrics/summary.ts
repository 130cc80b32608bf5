/** Per-query arrays -> reported figures; shared by the fused pass and the unfused benchmark baseline. */
import type { AnalysisDetail, AnalysisResult, AnalyzeOptions, NormStats, ReliabilityBin, RetrievalStats } from './types';

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

/** Expected calibration error over equal-width confidence bins on [0, 1]. */
export function calibration(
  confidence: Float64Array,
  correct: Uint8Array,
  bins: number,
): { ece: number; reliability: ReliabilityBin[] } {
  const count = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  const hitSum = new Float64Array(bins);
  for (let q = 0; q < confidence.length; q++) {
    const b = Math.min(bins - 1, Math.floor(confidence[q] * bins));
    count[b]++;
    confSum[b] += confidence[q];
    hitSum[b] += correct[q];
  }
  let ece = 0;
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b];
    const conf = c ? confSum[b] / c : 0;
    const acc = c ? hitSum[b] / c : 0;
    ece += (c / confidence.length) * Math.abs(acc - conf);
    reliability.push({ lower: b / bins, upper: (b + 1) / bins, count: c, confidence: conf, accuracy: acc });
  }
  return { ece, reliability };
}

/** One direction's per-query arrays, as both the fused pass and the device pass produce them. */
export interface DirectionArrays {
  hardestNegative: Float32Array;
  rank: Int32Array;
  confidence: Float64Array;
  correct: Uint8Array;
}

/** Everything a pass measured, before it becomes the reported figures. */
export interface PassTotals {
  ni: number;
  nt: number;
  dim: number;
  /** owner[k]: the image of text k. */
  owner: Int32Array;
  /** Per text, the true-pair similarity behind alignment and image-query hardest negatives. */
  positive: Float32Array;
  i2t: DirectionArrays;
  t2i: DirectionArrays & { positive: Float32Array };
  /** Sums of exp(-t ||a - b||^2) over pairs i < j within each modality, and over all cross pairs. */
  expSum: { image: number; text: number; cross: number };
  gap: number;
  norms: { image: NormStats; text: NormStats };
}

/** The analyze JSON (exact figures) and the per-pair arrays the views draw, from a pass's totals. */
export function summarize(p: PassTotals, o: Pick<AnalyzeOptions, 'eceBins' | 'ks' | 'eceTau' | 'uniformityT'>): { result: AnalysisResult; detail: AnalysisDetail } {
  const { ni, nt } = p;
  let align = 0;
  let hnI2T = 0;
  let hnT2I = 0;
  for (let k = 0; k < nt; k++) {
    const pos = p.positive[k];
    align += 2 - 2 * pos;
    hnI2T += 2 * p.i2t.hardestNegative[p.owner[k]] - 2 * pos;
    hnT2I += 2 * p.t2i.hardestNegative[k] - 2 * p.t2i.positive[k];
  }
  const pairs = (m: number) => (m * (m - 1)) / 2;
  const i2tCal = calibration(p.i2t.confidence, p.i2t.correct, o.eceBins);
  const t2iCal = calibration(p.t2i.confidence, p.t2i.correct, o.eceBins);
  const result: AnalysisResult = {
    n: nt,
    dim: p.dim,
    uniformity: Math.log((p.expSum.image + p.expSum.text + p.expSum.cross) / pairs(ni + nt)),
    uniformity_image: Math.log(p.expSum.image / pairs(ni)),
    uniformity_text: Math.log(p.expSum.text / pairs(nt)),
    alignment: align / nt,
    hardest_negative_alignment_i2t: hnI2T / nt,
    hardest_negative_alignment_t2i: hnT2I / nt,
    modality_gap: p.gap,
    i2t: retrievalStats(p.i2t.rank, o.ks),
    t2i: retrievalStats(p.t2i.rank, o.ks),
    ece: i2tCal.ece,
    ece_t2i: t2iCal.ece,
    ece_tau: o.eceTau,
    uniformity_t: o.uniformityT,
    n_image: ni,
    n_text: nt,
    input_norms: p.norms,
  };
  const detail: AnalysisDetail = {
    positive: p.positive,
    hardestNegativeI2T: p.i2t.hardestNegative,
    hardestNegativeT2I: p.t2i.hardestNegative,
    ranksI2T: p.i2t.rank,
    ranksT2I: p.t2i.rank,
    reliability: i2tCal.reliability,
  };
  return { result, detail };
}
