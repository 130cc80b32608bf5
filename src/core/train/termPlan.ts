/**
 * The loss terms of a training step (METRICS.md, "Losses"): their names, what a step computes
 * before any tensor exists (its plan), and what the computation returns. losses.ts runs a plan op
 * by op, fusedTerms.ts as WebGPU kernels.
 */
import type * as tf from '@tensorflow/tfjs-core';

export type MixTerm = 'm2mix' | 'vmix' | 'lmix' | 'vlmix';
export type LossTerm = 'clip' | MixTerm;
export const mixTerms: readonly MixTerm[] = ['m2mix', 'vmix', 'lmix', 'vlmix'];
export const lossTerms: readonly LossTerm[] = ['clip', ...mixTerms];

export interface LossGrad {
  loss: tf.Scalar;
  dx: tf.Tensor2D;
  dy: tf.Tensor2D;
}

export interface TermsOptions {
  tau: number;
  tauM: number;
  /** Weight of each term; a term with weight 0 (or none) is not computed. */
  weights: Partial<Record<LossTerm, number>>;
  /** The lambda each weighted mixup term drew. */
  lambdas: Partial<Record<MixTerm, number>>;
  /** On webgpu, the most bytes a block of logits may take (see fusedTerms). */
  logitBytes?: number;
  /**
   * Called between the op-by-op path's products and stages; it throws to stop the step (a cancel).
   * On wasm an m3-Mix step at batch 4,096 and D = 512 runs 17 s in one go; webgpu only queues its
   * work, so has no need.
   */
  check?: () => void;
}

/** What computing a plan returns, whichever terms it holds (CLIP alone included). */
export interface TermPlanLossGrad extends LossGrad {
  /** The weighted sum, then each computed term's unweighted value in the order of `terms`. */
  values: tf.Tensor1D;
  /** The terms computed, in the fixed order clip, m2mix, vmix, lmix, vlmix. */
  terms: LossTerm[];
}

/** A batch's rows: the images, the texts, or either in reverse row order (V-Mix and L-Mix mix row i with row B-1-i). */
export type Rows = 'x' | 'y' | 'rx' | 'ry';
/** A side of a pair term: the images, the texts, or the output of the step's mix with that index. */
export type Operand = 'x' | 'y' | number;

/** What a step computes, before any tensor: its geodesic mixes, its pair terms and m2-Mix. */
export interface TermPlan {
  tau: number;
  tauM: number;
  /** Each mix is m_lambda(a_i, b_i) over the batch's rows; all of them run as one batch of rows. */
  mixes: { a: Rows; b: Rows; lambda: number }[];
  /** (CE(S, T) + CE(S^T, T^T)) / 2 of S = a b^T / tau against T = alpha I + beta J, weighted in the gradients. */
  pairs: { term: LossTerm; a: Operand; b: Operand; alpha: number; beta: number; weight: number }[];
  /** m2-Mix with the mix of that index as its n. */
  m2mix?: { mix: number; weight: number };
}

export function planTerms(o: TermsOptions): TermPlan {
  const weight = (t: LossTerm) => o.weights[t] ?? 0;
  const lambda = (t: MixTerm) => {
    const l = o.lambdas[t];
    if (l === undefined) throw new Error(`planTerms: no lambda drawn for ${t}`);
    return l;
  };
  const mixes: TermPlan['mixes'] = [];
  const mix = (a: Rows, b: Rows, l: number) => mixes.push({ a, b, lambda: l }) - 1;
  // Each term's mixes, as indices into `mixes` (-1 or none: the term is not computed).
  const m2mixMix = weight('m2mix') ? mix('x', 'y', lambda('m2mix')) : -1;
  const vmixMix = weight('vmix') ? mix('x', 'rx', lambda('vmix')) : -1;
  const lmixMix = weight('lmix') ? mix('y', 'ry', lambda('lmix')) : -1;
  const vlmixMixes = weight('vlmix') ? [mix('x', 'rx', lambda('vlmix')), mix('y', 'ry', lambda('vlmix'))] : [];
  const pairs: TermPlan['pairs'] = [];
  if (weight('clip')) pairs.push({ term: 'clip', a: 'x', b: 'y', alpha: 1, beta: 0, weight: weight('clip') });
  if (vmixMix >= 0)
    pairs.push({
      term: 'vmix',
      a: vmixMix,
      b: 'y',
      alpha: lambda('vmix'),
      beta: 1 - lambda('vmix'),
      weight: weight('vmix'),
    });
  if (lmixMix >= 0)
    pairs.push({
      term: 'lmix',
      a: 'x',
      b: lmixMix,
      alpha: lambda('lmix'),
      beta: 1 - lambda('lmix'),
      weight: weight('lmix'),
    });
  // VL-Mix's targets are (I + J) / 2, normalised so each row sums to 1 like the other soft targets (the
  // reference code's I + J unnormalised weighs this term twice); on an odd batch the middle row gets 1.
  if (vlmixMixes.length)
    pairs.push({ term: 'vlmix', a: vlmixMixes[0], b: vlmixMixes[1], alpha: 0.5, beta: 0.5, weight: weight('vlmix') });
  return {
    tau: o.tau,
    tauM: o.tauM,
    mixes,
    pairs,
    m2mix: m2mixMix >= 0 ? { mix: m2mixMix, weight: weight('m2mix') } : undefined,
  };
}

/** The terms of a plan in their fixed order. */
export function planned(plan: TermPlan): LossTerm[] {
  const done = new Set<LossTerm>(plan.pairs.map((p) => p.term));
  if (plan.m2mix) done.add('m2mix');
  return lossTerms.filter((t) => done.has(t));
}
