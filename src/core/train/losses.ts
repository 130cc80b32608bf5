/**
 * The contrastive losses of METRICS.md ("Losses") on TensorFlow.js, each with its gradient with
 * respect to both inputs (see matmul.ts for why the backward passes are written by hand). Inputs
 * are batches of B L2-normalised rows, x (images) and y (texts), paired by row. Call inside
 * tf.tidy: the results are ordinary tensors of the caller's scope.
 *
 * All the terms of a step run as one computation: every geodesic mix as one batch of rows, and the
 * symmetric cross-entropies of CLIP, V-, L- and VL-Mix on one stack of logits, because on a GPU each
 * kernel costs a dispatch whatever its size (an m3-Mix step ran 665 kernels term by term, 249 so, and
 * 124 with webgpu's fused kernels). Each term alone is the same code with the others left out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedGeodesicMix, useFusedKernels } from './fusedKernels';
import { matMulAT, matMulBT } from './matmul';
import { geodesicMix } from './mixup';
import { reverseRows, splitRows } from './rows';
import { identity, softmaxCrossEntropy } from './softmaxCrossEntropy';

export type MixTerm = 'm2mix' | 'vmix' | 'lmix' | 'vlmix';
export type LossTerm = 'clip' | MixTerm;
export const mixTerms: readonly MixTerm[] = ['m2mix', 'vmix', 'lmix', 'vlmix'];
const lossTerms: readonly LossTerm[] = ['clip', ...mixTerms];

export interface LossGrad {
  loss: tf.Scalar;
  dx: tf.Tensor2D;
  dy: tf.Tensor2D;
}

/** (CE(S, T) + CE(S^T, T^T)) / 2 of S = a b^T / tau against T = alpha I + beta J, weighted in the gradients. */
interface PairTerm {
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  alpha: number;
  beta: number;
  weight: number;
}

/**
 * Several symmetric cross-entropies at once: the unweighted losses and the weighted gradients. The
 * products stay 2-D, one per term (tfjs-wasm's batched product ran 20x slower than its 2-D one);
 * everything element-wise runs once on the stacked P x B x B logits.
 */
function pairTerms(terms: PairTerm[], tau: number): { losses: tf.Tensor1D; da: tf.Tensor2D[]; db: tf.Tensor2D[] } {
  // Its own scope: the P x B x B intermediates go as soon as the B x D gradients exist.
  return tf.tidy(() => {
    const b = terms[0].a.shape[0];
    const logits = tf.tidy(() => tf.div(tf.stack(terms.map((t) => matMulBT(t.a, t.b))), tau) as tf.Tensor3D);
    const { losses, dS } = softmaxCrossEntropy(
      logits,
      terms.map((t) => t.alpha),
      terms.map((t) => t.beta),
      terms.map((t) => t.weight / (2 * b * tau)),
      true,
    );
    logits.dispose();
    const dSs = splitRows(dS, terms.length).map((d) => tf.reshape(d, [b, b]) as tf.Tensor2D);
    dS.dispose();
    return {
      losses,
      da: dSs.map((d, i) => tf.matMul(d, terms[i].b)),
      db: dSs.map((d, i) => matMulAT(d, terms[i].a)),
    };
  });
}

/**
 * m2-Mix given the mixed pairs n_j = m_lambda(x_j, y_j): the off-diagonal (negative) logits of both
 * the image rows and the text rows become similarities to n; the positives x_i.y_i stay. Its own
 * temperature tau_m; the two cross-entropies are summed, not averaged, as in METRICS.md. Gradients
 * weighted; dN is the gradient for n, which the mix's backward takes on.
 */
function m2mixTerm(x: tf.Tensor2D, y: tf.Tensor2D, n: tf.Tensor2D, tauM: number, weight: number): LossGrad & { dN: tf.Tensor2D } {
  // Its own scope, like pairTerms, and inner ones that free each B x B intermediate once it is used.
  return tf.tidy(() => {
    const b = x.shape[0];
    const eye = identity(b);
    const offDiagonal = tf.sub(1, eye);
    const q = tf.concat([x, y]);
    // Image rows then text rows, as 2 x B x B.
    const logits = tf.tidy(() => {
      const diagonal = tf.mul(eye, tf.sum(tf.mul(x, y), 1, true));
      return tf.div(tf.add(tf.mul(tf.reshape(matMulBT(q, n), [2, b, b]), offDiagonal), diagonal), tauM) as tf.Tensor3D;
    });
    const scale = weight / (b * tauM);
    const { losses, dS: dLogits } = softmaxCrossEntropy(logits, [1, 1], [0, 0], [scale, scale], false);
    logits.dispose();
    const dQN = tf.tidy(() => tf.reshape(tf.mul(dLogits, offDiagonal), [2 * b, b]) as tf.Tensor2D);
    const dPositive = tf.tidy(() => tf.reshape(tf.sum(tf.mul(dLogits, eye), [0, 2]), [b, 1]));
    dLogits.dispose();
    const [dqx, dqy] = splitRows(tf.matMul(dQN, n), 2);
    return {
      loss: tf.sum(losses) as tf.Scalar,
      dx: tf.add(dqx, tf.mul(dPositive, y)) as tf.Tensor2D,
      dy: tf.add(dqy, tf.mul(dPositive, x)) as tf.Tensor2D,
      dN: matMulAT(dQN, q),
    };
  });
}

interface TermsOptions {
  tau: number;
  tauM: number;
  /** Weight of each term; a term with weight 0 (or none) is not computed. */
  weights: Partial<Record<LossTerm, number>>;
  /** The lambda each weighted mixup term drew. */
  lambdas: Partial<Record<MixTerm, number>>;
}

export interface M3MixLoss extends LossGrad {
  /** Unweighted value of each term that was computed. */
  components: Partial<Record<LossTerm, tf.Scalar>>;
}

/** Where a mix's or a pair term's gradient goes: into x, into y, or into a mix (then through its backward). */
type Sink = 'x' | 'y' | 'rx' | 'ry' | number;

/** The weighted sum of the chosen terms, with its gradients and each term's own value. */
function terms(x: tf.Tensor2D, y: tf.Tensor2D, o: TermsOptions): M3MixLoss {
  const b = x.shape[0];
  const weight = (t: LossTerm) => o.weights[t] ?? 0;
  const lambda = (t: MixTerm) => {
    const l = o.lambdas[t];
    if (l === undefined) throw new Error(`m3mixLoss: no lambda drawn for ${t}`);
    return l;
  };
  // Each addN is a kernel, so a single term is passed on as it is.
  const sum = <T extends tf.Tensor>(ts: T[]): T => (ts.length === 1 ? ts[0] : (tf.addN(ts) as T));
  const grads: Record<'x' | 'y' | 'rx' | 'ry', tf.Tensor2D[]> = { x: [], y: [], rx: [], ry: [] };
  const input = { x, y, rx: undefined as tf.Tensor2D | undefined, ry: undefined as tf.Tensor2D | undefined };
  const tensorOf = (s: 'x' | 'y' | 'rx' | 'ry') => (input[s] ??= reverseRows(s === 'rx' ? x : y));

  // Every geodesic mix of the step, as one batch: x~_i = m_lambda(a_i, b_i) with each mix's lambda.
  const mixes: { a: 'x' | 'y'; b: 'y' | 'rx' | 'ry'; lambda: number; grads: tf.Tensor2D[] }[] = [];
  const mix = (a: 'x' | 'y', bs: 'y' | 'rx' | 'ry', l: number) => mixes.push({ a, b: bs, lambda: l, grads: [] }) - 1;
  const m2 = weight('m2mix') ? mix('x', 'y', lambda('m2mix')) : -1;
  const v = weight('vmix') ? mix('x', 'rx', lambda('vmix')) : -1;
  const l = weight('lmix') ? mix('y', 'ry', lambda('lmix')) : -1;
  const vl = weight('vlmix') ? [mix('x', 'rx', lambda('vlmix')), mix('y', 'ry', lambda('vlmix'))] : [];
  const lambdas = Float32Array.from(mixes.flatMap((m) => Array<number>(b).fill(m.lambda)));
  const mixAll = (a: tf.Tensor2D, bs: tf.Tensor2D) =>
    useFusedKernels() ? fusedGeodesicMix(a, bs, tf.tensor1d(lambdas)) : geodesicMix(a, bs, tf.tensor2d(lambdas, [lambdas.length, 1]));
  const batch = mixes.length > 0 ? mixAll(tf.concat(mixes.map((m) => tensorOf(m.a))), tf.concat(mixes.map((m) => tensorOf(m.b)))) : undefined;
  const mixed = batch ? splitRows(batch.mixed, mixes.length) : [];
  const send = (s: Sink, g: tf.Tensor2D) => (typeof s === 'number' ? mixes[s].grads : grads[s]).push(g);

  const components: Partial<Record<LossTerm, tf.Scalar>> = {};
  const weighted: tf.Scalar[] = [];
  const pairs: (PairTerm & { term: LossTerm; sa: Sink; sb: Sink })[] = [];
  if (weight('clip')) pairs.push({ term: 'clip', sa: 'x', sb: 'y', a: x, b: y, alpha: 1, beta: 0, weight: weight('clip') });
  if (v >= 0) pairs.push({ term: 'vmix', sa: v, sb: 'y', a: mixed[v], b: y, alpha: lambda('vmix'), beta: 1 - lambda('vmix'), weight: weight('vmix') });
  if (l >= 0) pairs.push({ term: 'lmix', sa: 'x', sb: l, a: x, b: mixed[l], alpha: lambda('lmix'), beta: 1 - lambda('lmix'), weight: weight('lmix') });
  // VL-Mix's targets are (I + J) / 2, normalised so each row sums to 1 like the other soft targets (the
  // reference code's I + J unnormalised weighs this term twice); on an odd batch the middle row gets 1.
  if (vl.length) pairs.push({ term: 'vlmix', sa: vl[0], sb: vl[1], a: mixed[vl[0]], b: mixed[vl[1]], alpha: 0.5, beta: 0.5, weight: weight('vlmix') });
  if (pairs.length) {
    const { losses, da, db } = pairTerms(pairs, o.tau);
    tf.unstack(losses).forEach((value, i) => {
      components[pairs[i].term] = value as tf.Scalar;
      weighted.push(tf.mul(value, pairs[i].weight));
      send(pairs[i].sa, da[i]);
      send(pairs[i].sb, db[i]);
    });
  }
  if (m2 >= 0) {
    const t = m2mixTerm(x, y, mixed[m2], o.tauM, weight('m2mix'));
    components.m2mix = t.loss;
    weighted.push(tf.mul(t.loss, weight('m2mix')));
    send('x', t.dx);
    send('y', t.dy);
    send(m2, t.dN);
  }
  if (batch) {
    const [da, db] = batch.backward(tf.concat(mixes.map((m) => sum(m.grads))));
    const [das, dbs] = [splitRows(da, mixes.length), splitRows(db, mixes.length)];
    mixes.forEach((m, i) => (send(m.a, das[i]), send(m.b, dbs[i])));
  }
  // What reached the reversed batch is reversed back onto the rows it came from.
  const total = (own: tf.Tensor2D[], mirrored: tf.Tensor2D[]) => sum(mirrored.length ? [...own, reverseRows(sum(mirrored))] : own);
  return {
    loss: sum(weighted),
    dx: total(grads.x, grads.rx),
    dy: total(grads.y, grads.ry),
    // In the fixed order of the terms, whichever order they ran in.
    components: Object.fromEntries(lossTerms.filter((t) => components[t]).map((t) => [t, components[t]])),
  };
}

/** CLIP InfoNCE: (CE(S, I) + CE(S^T, I)) / 2 with S = x y^T / tau. */
export function clipLoss(x: tf.Tensor2D, y: tf.Tensor2D, tau: number): LossGrad {
  return terms(x, y, { tau, tauM: tau, weights: { clip: 1 }, lambdas: {} });
}

/** m2-Mix alone (see m2mixTerm). */
export function m2mixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tauM: number): LossGrad {
  return terms(x, y, { tau: tauM, tauM, weights: { m2mix: 1 }, lambdas: { m2mix: lambda } });
}

/** V-Mix: images mixed with the reversed batch, x~_i = m_lambda(x_i, x_{B-1-i}); logits x~ y^T / tau, targets lambda I + (1 - lambda) J. */
export function vmixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tau: number): LossGrad {
  return terms(x, y, { tau, tauM: tau, weights: { vmix: 1 }, lambdas: { vmix: lambda } });
}

/** L-Mix: the same on texts, y~_i = m_lambda(y_i, y_{B-1-i}); logits x y~^T / tau. */
export function lmixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tau: number): LossGrad {
  return terms(x, y, { tau, tauM: tau, weights: { lmix: 1 }, lambdas: { lmix: lambda } });
}

/** VL-Mix: both modalities mixed with one lambda, logits x~ y~^T / tau, targets (I + J) / 2. */
export function vlmixLoss(x: tf.Tensor2D, y: tf.Tensor2D, lambda: number, tau: number): LossGrad {
  return terms(x, y, { tau, tauM: tau, weights: { vlmix: 1 }, lambdas: { vlmix: lambda } });
}

export interface M3MixOptions {
  tau: number;
  tauM: number;
  /** Weight of each mixup term; a term with weight 0 is not computed. */
  weights: Record<MixTerm, number>;
  /** The lambda each weighted term drew. */
  lambdas: Partial<Record<MixTerm, number>>;
}

/** L_clip + w_m2 L_m2 + w_v L_v + w_l L_l + w_vl L_vl, each mixup term with its own lambda. */
export function m3mixLoss(x: tf.Tensor2D, y: tf.Tensor2D, opts: M3MixOptions): M3MixLoss {
  return terms(x, y, { ...opts, weights: { clip: 1, ...opts.weights } });
}
