/** Similarity histograms of several checkpoints on one set of edges, so they overlay. */
import type { SharedHistograms } from '../../protocol/comparePanel';
import { sharedBins } from '../../core/metrics/histogram';

export function sharedHistograms(
  positive: Float32Array[],
  hardestNegative: Float32Array[],
  bins: number,
): SharedHistograms {
  const { edges, count } = sharedBins([...positive, ...hardestNegative], bins);
  return { edges, positive: positive.map(count), hardestNegative: hardestNegative.map(count) };
}
