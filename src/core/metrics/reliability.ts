/** Expected calibration error and the reliability diagram's bins, shared by retrieval, zero-shot and the temperature sweep. */

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number;
  accuracy: number;
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
