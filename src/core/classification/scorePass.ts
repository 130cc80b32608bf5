/**
 * The zero-shot pass: image blocks times the class vectors, read back once per block, so memory is
 * O(block x C) and never N x C. Per image it keeps the rank of the true class (ties count against
 * it, as in retrieval), the argmax (lowest index on exact ties) and the float64 softmax confidence.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfCancelled, type CancelToken, type ProgressFn } from '../util/cancel';

export interface ScorePassInput {
  /** (N, D) unit image rows. */
  image: Float32Array;
  labels: Int32Array;
  /** (C, D) unit class vectors. */
  classVectors: Float32Array;
  n: number;
  classes: number;
  dim: number;
  tau: number;
  memoryBudgetBytes: number;
  token?: CancelToken;
  onProgress?: ProgressFn;
}

export interface ScorePassOutput {
  rank: Int32Array;
  argmax: Int32Array;
  confidence: Float64Array;
}

/** A block row costs its float32 product row twice (backend result and read-back copy) and the image row. */
export function zeroShotBlockRows(budgetBytes: number, n: number, classes: number, dim: number): number {
  return Math.max(1, Math.min(n, Math.floor(budgetBytes / ((2 * classes + dim) * 4))));
}

export async function zeroShotScorePass(p: ScorePassInput): Promise<ScorePassOutput> {
  const { n, classes: c, dim } = p;
  const rank = new Int32Array(n);
  const argmax = new Int32Array(n);
  const confidence = new Float64Array(n);
  const rows = zeroShotBlockRows(p.memoryBudgetBytes, n, c, dim);
  // Transposed once up front: a plain matMul is the fast form on wasm (see blockedPass.ts).
  const wt = tf.tidy(() => tf.transpose(tf.tensor2d(p.classVectors, [c, dim])));
  try {
    for (let start = 0; start < n; start += rows) {
      throwIfCancelled(p.token);
      const end = Math.min(n, start + rows);
      const product = tf.tidy(() =>
        tf.matMul(tf.tensor2d(p.image.subarray(start * dim, end * dim), [end - start, dim]), wt),
      );
      const scores = (await product.data()) as Float32Array;
      product.dispose();
      for (let i = start; i < end; i++) {
        const row = scores.subarray((i - start) * c, (i - start + 1) * c);
        const truth = row[p.labels[i]];
        let above = 0;
        let best = 0;
        for (let k = 0; k < c; k++) {
          if (row[k] > truth) above++;
          if (row[k] > row[best]) best = k;
        }
        // max_c softmax(s / tau) = 1 / sum_c exp((s_c - s_max) / tau), in float64.
        let sum = 0;
        for (let k = 0; k < c; k++) sum += Math.exp((row[k] - row[best]) / p.tau);
        rank[i] = above;
        argmax[i] = best;
        confidence[i] = 1 / sum;
      }
      p.onProgress?.(end / n, 'zero-shot classification');
    }
  } finally {
    wt.dispose();
  }
  return { rank, argmax, confidence };
}
