/**
 * Equal-width bins spanning every value of every array, so histograms of them line up, and the
 * counter for one array on those bins. Shared by histogram2 and the compare view's overlays.
 */
export function sharedBins(
  arrays: Float32Array[],
  bins: number,
): { edges: number[]; count: (v: Float32Array) => number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of arrays) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] < lo) lo = v[i];
      if (v[i] > hi) hi = v[i];
    }
  }
  if (lo > hi) [lo, hi] = [0, 1]; // all empty
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5]; // one value: a unit-wide range centred on it
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, e) => (e === bins ? hi : lo + e * width));
  const count = (v: Float32Array): number[] => {
    const c = new Array<number>(bins).fill(0);
    // The maximum itself falls in the last bin (numpy's closed last bin).
    for (let i = 0; i < v.length; i++) c[Math.min(bins - 1, Math.floor((v[i] - lo) / width))]++;
    return c;
  };
  return { edges, count };
}

/** Two histograms on shared bins (positives vs hardest negatives), so the bars line up. */
export function histogram2(
  a: Float32Array,
  b: Float32Array,
  bins: number,
): { edges: number[]; a: number[]; b: number[] } {
  const { edges, count } = sharedBins([a, b], bins);
  return { edges, a: count(a), b: count(b) };
}
