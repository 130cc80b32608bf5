/**
 * Sampled mode's estimators, for sets too large for every pair: uniformity from uniformly drawn
 * point pairs, ECE from a uniform subset of queries, each with its standard error.
 */
import { throwIfCancelled, type CancelToken } from '../util/cancel';
import type { Rng } from '../util/random';

export interface Estimate {
  value: number;
  standardError: number;
  /** What it took: point pairs (uniformity, never more than exist) or queries (ECE). */
  size: number;
}

/** `k` distinct indices of 0..n-1, uniformly (partial Fisher-Yates), in increasing order. */
export function sampleIndices(n: number, k: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k).sort();
}

/** Pairs between looks at the token; each look lets the event loop run too, where a CLI's Ctrl-C lands. */
const pairsPerCheck = 1 << 16;

const checkIn = async (token: CancelToken | undefined): Promise<void> => {
  await new Promise((resolve) => setImmediate(resolve));
  throwIfCancelled(token);
};

/**
 * log(mean exp(-t ||z_i - z_j||^2)) over `pairs` pairs i != j drawn uniformly with replacement from
 * the m points `point(i)` (unit rows); the standard error by the delta method, SE(log m) = SE(m) / m.
 * A sample as large as the m(m-1)/2 distinct pairs costs more than all of them, which give the exact
 * value (standard error 0): a sample the user sizes past the data then costs at most the exact pass.
 */
export async function sampledUniformity(
  m: number,
  point: (i: number) => [Float32Array, number],
  dim: number,
  t: number,
  pairs: number,
  rng: Rng,
  token?: CancelToken,
): Promise<Estimate> {
  const kernel = (i: number, j: number): number => {
    const [a, ao] = point(i);
    const [b, bo] = point(j);
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += a[ao + d] * b[bo + d];
    return Math.exp(2 * t * dot - 2 * t);
  };
  const distinct = (m * (m - 1)) / 2;
  if (pairs >= distinct) {
    let sum = 0;
    for (let i = 0, unchecked = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) sum += kernel(i, j);
      unchecked += m - i - 1;
      if (unchecked >= pairsPerCheck) {
        await checkIn(token);
        unchecked = 0;
      }
    }
    return { value: Math.log(sum / distinct), standardError: 0, size: distinct };
  }
  let sum = 0;
  let sumSq = 0;
  for (let s = 0; s < pairs; s++) {
    if (s % pairsPerCheck === pairsPerCheck - 1) await checkIn(token);
    const i = Math.floor(rng() * m);
    let j = Math.floor(rng() * (m - 1));
    if (j >= i) j++;
    const k = kernel(i, j);
    sum += k;
    sumSq += k * k;
  }
  const mean = sum / pairs;
  const variance = Math.max(0, (sumSq - pairs * mean * mean) / (pairs - 1));
  return { value: Math.log(mean), standardError: Math.sqrt(variance / pairs) / mean, size: pairs };
}

function ece(confidence: Float64Array, correct: Uint8Array, bins: number, pick: (q: number) => number): number {
  const count = new Float64Array(bins);
  const gap = new Float64Array(bins);
  const n = confidence.length;
  for (let s = 0; s < n; s++) {
    const q = pick(s);
    const b = Math.min(bins - 1, Math.floor(confidence[q] * bins));
    count[b]++;
    gap[b] += correct[q] - confidence[q];
  }
  // sum_b |B_b| / n |acc - conf| = sum_b |sum over B_b of (correct - confidence)| / n
  let e = 0;
  for (let b = 0; b < bins; b++) e += Math.abs(gap[b]);
  return e / n;
}

/** ECE of the sampled queries, its standard error from `resamples` bootstrap resamples of them (0 when they are every query). */
export function sampledEce(
  confidence: Float64Array,
  correct: Uint8Array,
  bins: number,
  rng: Rng,
  everyQuery: boolean,
  resamples = 200,
): Estimate {
  const n = confidence.length;
  const value = ece(confidence, correct, bins, (s) => s);
  if (everyQuery) return { value, standardError: 0, size: n }; // the set's own ECE, not an estimate of it
  let sum = 0;
  let sumSq = 0;
  for (let r = 0; r < resamples; r++) {
    const e = ece(confidence, correct, bins, () => Math.floor(rng() * n));
    sum += e;
    sumSq += e * e;
  }
  const mean = sum / resamples;
  return { value, standardError: Math.sqrt(Math.max(0, (sumSq - resamples * mean * mean) / (resamples - 1))), size: n };
}
