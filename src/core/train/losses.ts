/**
 * The contrastive losses of METRICS.md ("Losses") on TensorFlow.js, each with its gradient with
 * respect to both inputs (see matmul.ts for why the backward passes are written by hand). Inputs
 * are batches of B L2-normalised rows, x (images) and y (texts), paired by row. Call inside
 * tf.tidy: the results are ordinary tensors of the caller's scope.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMulBT } from './matmul';
import { geodesicMix, reverseRows } from './mixup';

export type MixTerm = 'm2mix' | 'vmix' | 'lmix' | 'vlmix';
export type LossTerm = 'clip' | MixTerm;
export const mixTerms: readonly MixTerm[] = ['m2mix', 'vmix', 'lmix', 'vlmix'];

export interface LossGrad {
  loss: tf.Scalar;
  dx: tf.Tensor2D;
  dy: tf.Tensor2D;
}

/** Row-wise cross-entropy against targets whose rows sum to 1, mean over rows, and its gradient (softmax - T) / B. */
function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): { loss: tf.Scalar; dLogits: tf.Tensor2D } {
  const b = logits.shape[0];
  const loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, targets), 1))) as tf.Scalar;
  return { loss, dLogits: tf.div(tf.sub(tf.softmax(logits), targets), b) as tf.Tensor2D };
}

/** (CE(S, T) + CE(S^T, T^T)) / 2: over rows and over columns. */
function symmetricCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): { loss: tf.Scalar; dLogits: tf.Tensor2D } {
  const rows = crossEntropy(logits, targets);
  const cols = crossEntropy(tf.transpose(logits), tf.transpose(targets));
  return {
    loss: tf.div(tf.add(rows.loss, cols.loss), 2) as tf.Scalar,
    dLogits: tf.div(tf.add(rows.dLogits, tf.transpose(cols.dLogits)), 2) as tf.Tensor2D,
  };
}

/** The symmetric cross-entropy of S = a b^T / tau, with gradients for a and b. */
function pairLoss(a: tf.Tensor2D, b: tf.Tensor2D, targets: tf.Tensor2D, tau: number): { loss: tf.Scalar; da: tf.Tensor2D; db: tf.Tensor2D } {
  const { loss, dLogits } = symmetricCrossEntropy(tf.div(matMulBT(a, b), tau) as tf.Tensor2D, targets);
  const dS = tf.div(dLogits, tau) as tf.Tensor2D;
  return { loss, da: tf.matMul(dS, b), db: tf.matMul(tf.transpose(dS), a) };
}

/** J, the reversed identity: J[i][B-1-i] = 1. */
function reversedIdentity(b: number): tf.Tensor2D {
  return tf.reverse(tf.eye(b), 1);
}

/** CLIP InfoNCE: (CE(S, I) + CE(S^T, I)) / 2 with S = x y^T / tau. */
export function clipLoss(x: tf.Tensor2D, y: tf.Tensor2D, tau: number): LossGrad {
  const { loss, da, db } = pairLoss(x, y, tf.eye(x.shape[0]), tau);
  return { loss, dx: da, dy: db };
}

/**
 * m2-Mix: the off-diagonal (negative) logits of both the image rows and the text rows become
 * similarities to the mixed pairs n_j = m_lambda(x_j, y_j); the positives x_i.y_i stay. Its own
 * temperature tau_m. The two cross-entropies are summed, not averaged, as in METRICS.md.
 */
export function m2mixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tauM: number): LossGrad {
  const b = x.shape[0];
  const mix = geodesicMix(x, y, lambda);
  const n = mix.mixed;
  const eye = tf.eye(b);
  const offDiagonal = tf.sub(1, eye);
  const positive = tf.sum(tf.mul(x, y), 1, true);
  const diagonal = tf.mul(eye, positive);
  const logits = (q: tf.Tensor2D) => tf.div(tf.add(tf.mul(matMulBT(q, n), offDiagonal), diagonal), tauM) as tf.Tensor2D;
  const image = crossEntropy(logits(x), eye);
  const text = crossEntropy(logits(y), eye);
  const dXN = tf.div(tf.mul(image.dLogits, offDiagonal), tauM) as tf.Tensor2D;
  const dYN = tf.div(tf.mul(text.dLogits, offDiagonal), tauM) as tf.Tensor2D;
  const dPositive = tf.div(tf.sum(tf.mul(tf.add(image.dLogits, text.dLogits), eye), 1, true), tauM);
  const dN = tf.add(tf.matMul(tf.transpose(dXN), x), tf.matMul(tf.transpose(dYN), y)) as tf.Tensor2D;
  const [dxMix, dyMix] = mix.backward(dN);
  return {
    loss: tf.add(image.loss, text.loss) as tf.Scalar,
    dx: tf.addN([tf.matMul(dXN, n), tf.mul(dPositive, y), dxMix]) as tf.Tensor2D,
    dy: tf.addN([tf.matMul(dYN, n), tf.mul(dPositive, x), dyMix]) as tf.Tensor2D,
  };
}

/** Soft targets lambda I + (1 - lambda) J of V-Mix and L-Mix. */
function mixTargets(b: number, lambda: number): tf.Tensor2D {
  return tf.add(tf.mul(tf.eye(b), lambda), tf.mul(reversedIdentity(b), 1 - lambda));
}

/** Mixes each row with its mirror in the batch; the backward folds the mirror's share back. */
function mixWithReversed(z: tf.Tensor2D, lambda: number): { mixed: tf.Tensor2D; backward(g: tf.Tensor2D): tf.Tensor2D } {
  const mix = geodesicMix(z, reverseRows(z), lambda);
  return {
    mixed: mix.mixed,
    backward(g) {
      const [dz, dMirror] = mix.backward(g);
      return tf.add(dz, reverseRows(dMirror));
    },
  };
}

/** V-Mix: images mixed with the reversed batch, x~_i = m_lambda(x_i, x_{B-1-i}); logits x~ y^T / tau. */
export function vmixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tau: number): LossGrad {
  const mx = mixWithReversed(x, lambda);
  const { loss, da, db } = pairLoss(mx.mixed, y, mixTargets(x.shape[0], lambda), tau);
  return { loss, dx: mx.backward(da), dy: db };
}

/** L-Mix: the same on texts, y~_i = m_lambda(y_i, y_{B-1-i}); logits x y~^T / tau. */
export function lmixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tau: number): LossGrad {
  const my = mixWithReversed(y, lambda);
  const { loss, da, db } = pairLoss(x, my.mixed, mixTargets(x.shape[0], lambda), tau);
  return { loss, dx: da, dy: my.backward(db) };
}

/**
 * VL-Mix: both modalities mixed with one lambda, logits x~ y~^T / tau. Targets are (I + J) / 2,
 * normalised so each row sums to 1 like the other soft targets (the reference code's I + J
 * unnormalised weighs this term twice); on an odd batch the middle row, where I and J meet, gets 1.
 */
export function vlmixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tau: number): LossGrad {
  const b = x.shape[0];
  const mx = mixWithReversed(x, lambda);
  const my = mixWithReversed(y, lambda);
  const targets = tf.div(tf.add(tf.eye(b), reversedIdentity(b)), 2) as tf.Tensor2D;
  const { loss, da, db } = pairLoss(mx.mixed, my.mixed, targets, tau);
  return { loss, dx: mx.backward(da), dy: my.backward(db) };
}

export interface M3MixOptions {
  tau: number;
  tauM: number;
  /** Weight of each mixup term; a term with weight 0 is not computed. */
  weights: Record<MixTerm, number>;
  /** The lambda each weighted term drew. */
  lambdas: Partial<Record<MixTerm, number>>;
}

export interface M3MixLoss extends LossGrad {
  /** Unweighted value of each term that was computed. */
  components: Partial<Record<LossTerm, tf.Scalar>>;
}

const mixLoss: Record<MixTerm, (x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, o: M3MixOptions) => LossGrad> = {
  m2mix: (x, y, lambda, o) => m2mixLoss(x, y, lambda, o.tauM),
  vmix: (x, y, lambda, o) => vmixLoss(x, y, lambda, o.tau),
  lmix: (x, y, lambda, o) => lmixLoss(x, y, lambda, o.tau),
  vlmix: (x, y, lambda, o) => vlmixLoss(x, y, lambda, o.tau),
};

/** L_clip + w_m2 L_m2 + w_v L_v + w_l L_l + w_vl L_vl, each mixup term with its own lambda. */
export function m3mixLoss(x: tf.Tensor2D, y: tf.Tensor2D, opts: M3MixOptions): M3MixLoss {
  const clip = clipLoss(x, y, opts.tau);
  const components: Partial<Record<LossTerm, tf.Scalar>> = { clip: clip.loss };
  let { loss, dx, dy } = clip;
  for (const term of mixTerms) {
    const w = opts.weights[term];
    if (w === 0) continue;
    const lambda = opts.lambdas[term];
    if (lambda === undefined) throw new Error(`m3mixLoss: no lambda drawn for ${term}`);
    const t = mixLoss[term](x, y, lambda, opts);
    components[term] = t.loss;
    loss = tf.add(loss, tf.mul(t.loss, w));
    dx = tf.add(dx, tf.mul(t.dx, w));
    dy = tf.add(dy, tf.mul(t.dy, w));
  }
  return { loss, dx, dy, components };
}
