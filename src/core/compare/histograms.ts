/** Similarity histograms of several checkpoints on one set of edges, so they overlay. */
import type { SharedHistograms } from '../../protocol/comparePanel';

export function sharedHistograms(positive: Float32Array[], hardestNegative: Float32Array[], bins: number): SharedHistograms {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of [...positive, ...hardestNegative]) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] < lo) lo = v[i];
      if (v[i] > hi) hi = v[i];
    }
  }
  if (lo > hi) [lo, hi] = [0, 1]; // nothing at all
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, e) => (e === bins ? hi : lo + e * width));
  const count = (v: Float32Array): number[] => {
    const c = new Array<number>(bins).fill(0);
    // The maximum itself falls in the last bin (numpy's closed last bin).
    for (let i = 0; i < v.length; i++) c[Math.min(bins - 1, Math.floor((v[i] - lo) / width))]++;
    return c;
  };
  return { edges, positive: positive.map(count), hardestNegative: hardestNegative.map(count) };
}
