/**
 * t2i statistics gathered down the columns of X Y^T, one partial per runner. Partials merge
 * exactly: hardest negatives by max, rank counts by sum, the online softmax (running max m, sum z
 * of exp((s - m) / tau), argmax) by the logsumexp rule, ties going to the lower image index as a
 * single sequential pass over the rows would give.
 */
import { expNonPositive } from '../fastExp';

export interface ColumnStats {
  hardestNegative: Float32Array;
  rank: Int32Array;
  /** Per ECE text (the spec's t2i.eceQueries order). */
  max: Float64Array;
  sum: Float64Array;
  arg: Int32Array;
}

export function columnStats(texts: number, eceTexts: number): ColumnStats {
  return {
    hardestNegative: new Float32Array(texts).fill(-Infinity),
    rank: new Int32Array(texts),
    max: new Float64Array(eceTexts).fill(-Infinity),
    sum: new Float64Array(eceTexts),
    arg: new Int32Array(eceTexts),
  };
}

/** Folds `b` into `a`. */
export function mergeColumns(a: ColumnStats, b: ColumnStats, invTau: number): void {
  for (let k = 0; k < a.rank.length; k++) {
    if (b.hardestNegative[k] > a.hardestNegative[k]) a.hardestNegative[k] = b.hardestNegative[k];
    a.rank[k] += b.rank[k];
  }
  for (let q = 0; q < a.max.length; q++) {
    const [ma, mb] = [a.max[q], b.max[q]];
    if (mb === -Infinity) continue;
    if (ma === -Infinity) {
      [a.max[q], a.sum[q], a.arg[q]] = [mb, b.sum[q], b.arg[q]];
      continue;
    }
    const m = Math.max(ma, mb);
    a.sum[q] = a.sum[q] * expNonPositive((ma - m) * invTau) + b.sum[q] * expNonPositive((mb - m) * invTau);
    if (mb > ma || (mb === ma && b.arg[q] < a.arg[q])) a.arg[q] = b.arg[q];
    a.max[q] = m;
  }
}

export function transferList(c: ColumnStats): ArrayBuffer[] {
  return [c.hardestNegative, c.rank, c.max, c.sum, c.arg].map((v) => v.buffer as ArrayBuffer);
}
