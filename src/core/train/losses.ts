/**
 * The contrastive losses of METRICS.md ("Losses") on TensorFlow.js, each with its gradient with
 * respect to both inputs (see matmul.ts for why the backward passes are written by hand). Inputs
 * are batches of B L2-normalised rows, x (images) and y (texts), paired by row. Call inside
 * tf.tidy: the results are ordinary tensors of the caller's scope.
 *
 * All the terms of a step run as one computation (termPlan.ts): every geodesic mix as one batch of
 * rows, and the symmetric cross-entropies of CLIP, V-, L- and VL-Mix on one stack of logits. Here op
 * by op; on webgpu, where each kernel costs a dispatch whatever its size, as fused kernels
 * (fusedTerms.ts; docs/performance.md has the kernel counts). Each term alone is the same code with
 * the others left out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedTerms } from './fusedTerms';
import { matMulAT, matMulBT } from './matmul';
import { geodesicMix } from './mixup';
import { reverseRows, splitRows } from './rows';
import { identity, opsSoftmaxCrossEntropy } from './softmaxCrossEntropy';
import {
  planned,
  planTerms,
  type LossGrad,
  type LossTerm,
  type MixTerm,
  type Operand,
  type Rows,
  type TermPlan,
  type TermPlanLossGrad,
  type TermsOptions,
} from './termPlan';
import { useFusedKernels } from './webgpuKernel';

/** A pair term of the plan (see TermPlan) on its tensors. */
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
function pairTerms(
  terms: PairTerm[],
  tau: number,
  check: () => void,
): { losses: tf.Tensor1D; da: tf.Tensor2D[]; db: tf.Tensor2D[] } {
  // Its own scope: the P x B x B intermediates go as soon as the B x D gradients exist.
  return tf.tidy(() => {
    const b = terms[0].a.shape[0];
    const checked = <T>(make: () => T): T => (check(), make());
    const logits = tf.tidy(
      () => tf.div(tf.stack(terms.map((t) => checked(() => matMulBT(t.a, t.b)))), tau) as tf.Tensor3D,
    );
    check();
    const { losses, dS } = opsSoftmaxCrossEntropy(
      logits,
      terms.map((t) => t.alpha),
      terms.map((t) => t.beta),
      terms.map((t) => t.weight / (2 * b * tau)),
      true,
      check,
    );
    logits.dispose();
    const dSs = splitRows(dS, terms.length).map((d) => tf.reshape(d, [b, b]) as tf.Tensor2D);
    dS.dispose();
    return {
      losses,
      da: dSs.map((d, i) => checked(() => tf.matMul(d, terms[i].b))),
      db: dSs.map((d, i) => checked(() => matMulAT(d, terms[i].a))),
    };
  });
}

/**
 * m2-Mix given the mixed pairs n_j = m_lambda(x_j, y_j): the off-diagonal (negative) logits of both
 * the image rows and the text rows become similarities to n; the positives x_i.y_i stay. Its own
 * temperature tau_m; the two cross-entropies are summed, not averaged, as in METRICS.md. Gradients
 * weighted; dN is the gradient for n, which the mix's backward takes on.
 */
function m2mixTerm(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  n: tf.Tensor2D,
  tauM: number,
  weight: number,
  check: () => void,
): LossGrad & { dN: tf.Tensor2D } {
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
    check();
    const { losses, dS: dLogits } = opsSoftmaxCrossEntropy(logits, [1, 1], [0, 0], [scale, scale], false, check);
    logits.dispose();
    const dQN = tf.tidy(() => tf.reshape(tf.mul(dLogits, offDiagonal), [2 * b, b]) as tf.Tensor2D);
    const dPositive = tf.tidy(() => tf.reshape(tf.sum(tf.mul(dLogits, eye), [0, 2]), [b, 1]));
    dLogits.dispose();
    check();
    const [dqx, dqy] = splitRows(tf.matMul(dQN, n), 2);
    check();
    return {
      loss: tf.sum(losses) as tf.Scalar,
      dx: tf.add(dqx, tf.mul(dPositive, y)) as tf.Tensor2D,
      dy: tf.add(dqy, tf.mul(dPositive, x)) as tf.Tensor2D,
      dN: matMulAT(dQN, q),
    };
  });
}

/**
 * The plan op by op, for every backend but webgpu (fusedTerms.ts): one tensor a mix, a term and a
 * gradient, which wasm runs as fast as a fused form and tfjs-node runs natively.
 */
function opsTerms(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  plan: TermPlan,
  check: () => void = () => undefined,
): TermPlanLossGrad {
  const b = x.shape[0];
  // Each addN is a kernel, so a single term is passed on as it is.
  const sum = <T extends tf.Tensor>(ts: T[]): T => (ts.length === 1 ? ts[0] : (tf.addN(ts) as T));
  const grads: Record<Rows, tf.Tensor2D[]> = { x: [], y: [], rx: [], ry: [] };
  const mixGrads = plan.mixes.map((): tf.Tensor2D[] => []);
  const input: Record<Rows, tf.Tensor2D | undefined> = { x, y, rx: undefined, ry: undefined };
  const rows = (r: Rows) => (input[r] ??= reverseRows(r === 'rx' ? x : y));
  const n = plan.mixes.length;
  const lambdas = Float32Array.from(plan.mixes.flatMap((m) => Array<number>(b).fill(m.lambda)));
  const batch =
    n > 0
      ? geodesicMix(
          tf.concat(plan.mixes.map((m) => rows(m.a))),
          tf.concat(plan.mixes.map((m) => rows(m.b))),
          tf.tensor2d(lambdas, [n * b, 1]),
        )
      : undefined;
  const mixed = batch ? splitRows(batch.mixed, n) : [];
  const operand = (o: Operand) => (typeof o === 'number' ? mixed[o] : rows(o));
  const send = (s: Operand | Rows, g: tf.Tensor2D) => (typeof s === 'number' ? mixGrads[s] : grads[s]).push(g);

  const components: Partial<Record<LossTerm, tf.Scalar>> = {};
  const weighted: tf.Scalar[] = [];
  if (plan.pairs.length) {
    const { losses, da, db } = pairTerms(
      plan.pairs.map((p) => ({ ...p, a: operand(p.a), b: operand(p.b) })),
      plan.tau,
      check,
    );
    tf.unstack(losses).forEach((value, i) => {
      const p = plan.pairs[i];
      components[p.term] = value as tf.Scalar;
      weighted.push(tf.mul(value, p.weight));
      send(p.a, da[i]);
      send(p.b, db[i]);
    });
  }
  if (plan.m2mix) {
    const t = m2mixTerm(x, y, mixed[plan.m2mix.mix], plan.tauM, plan.m2mix.weight, check);
    components.m2mix = t.loss;
    weighted.push(tf.mul(t.loss, plan.m2mix.weight));
    send('x', t.dx);
    send('y', t.dy);
    send(plan.m2mix.mix, t.dN);
  }
  check();
  if (batch) {
    const [da, db] = batch.backward(tf.concat(mixGrads.map(sum)));
    const [das, dbs] = [splitRows(da, n), splitRows(db, n)];
    plan.mixes.forEach((m, i) => (send(m.a, das[i]), send(m.b, dbs[i])));
    check();
  }
  // What reached the reversed batch is reversed back onto the rows it came from.
  const total = (own: tf.Tensor2D[], mirrored: tf.Tensor2D[]) =>
    sum(mirrored.length ? [...own, reverseRows(sum(mirrored))] : own);
  const loss = sum(weighted);
  const terms = planned(plan);
  return {
    loss,
    dx: total(grads.x, grads.rx),
    dy: total(grads.y, grads.ry),
    values: tf.stack([loss, ...terms.map((t) => components[t] as tf.Scalar)]) as tf.Tensor1D,
    terms,
  };
}

/** The weighted sum of the chosen terms, with its gradients and each term's own value. */
function terms(x: tf.Tensor2D, y: tf.Tensor2D, o: TermsOptions): TermPlanLossGrad {
  return useFusedKernels() ? fusedTerms(x, y, planTerms(o), o.logitBytes) : opsTerms(x, y, planTerms(o), o.check);
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

/**
 * TermsOptions with CLIP always on: `weights` are the mixup terms' (a weight of 0 leaves a term
 * out, so the clip loss kind weighs them all 0).
 */
export type TrainingLossOptions = Omit<TermsOptions, 'weights'> & { weights: Record<MixTerm, number> };

/**
 * The loss a training step minimises, L_clip + w_m2mix L_m2mix + w_vmix L_vmix + w_lmix L_lmix +
 * w_vlmix L_vlmix, each mixup term with its own lambda.
 */
export function trainingLoss(x: tf.Tensor2D, y: tf.Tensor2D, opts: TrainingLossOptions): TermPlanLossGrad {
  return terms(x, y, { ...opts, weights: { clip: 1, ...opts.weights } });
}
