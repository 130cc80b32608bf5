/** Per-query arrays -> reported figures; shared by the fused pass and the unfused benchmark baseline. */
import type { ReliabilityBin, RetrievalStats } from './types';

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
