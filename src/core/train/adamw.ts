/**
 * AdamW (Loshchilov & Hutter): Adam with bias correction plus weight decay applied to the weights
 * directly (decoupled), w <- w - lr (m^ / (sqrt(v^) + eps) + wd w). Betas and eps are PyTorch's
 * defaults, which the m2-Mix reference scripts use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamw, useFusedKernels } from './fusedKernels';

export const adamBeta1 = 0.9;
export const adamBeta2 = 0.999;
export const adamEps = 1e-8;

export interface AdamState {
  /** Updates done so far; the bias correction of the next one uses step + 1. */
  step: number;
  m: tf.Variable[];
  v: tf.Variable[];
}

export function createAdamState(params: tf.Variable[], step = 0, moments?: { m: tf.Tensor[]; v: tf.Tensor[] }): AdamState {
  // tidy frees the initial values; variables outlive it.
  return tf.tidy(() => ({
    step,
    m: params.map((p, i) => tf.variable(moments ? moments.m[i] : tf.zerosLike(p), false)),
    v: params.map((p, i) => tf.variable(moments ? moments.v[i] : tf.zerosLike(p), false)),
  }));
}

export function adamwStep(params: tf.Variable[], grads: tf.Tensor[], state: AdamState, lr: number, weightDecay: number): void {
  const t = state.step + 1;
  const correction1 = 1 - adamBeta1 ** t;
  const correction2 = 1 - adamBeta2 ** t;
  tf.tidy(() => {
    params.forEach((p, i) => {
      if (useFusedKernels()) {
        const k = { beta1: adamBeta1, beta2: adamBeta2, correction1, correction2, eps: adamEps, lr, weightDecay };
        const next = fusedAdamw(p, grads[i], state.m[i], state.v[i], k);
        state.m[i].assign(next.m);
        state.v[i].assign(next.v);
        p.assign(next.param);
        return;
      }
      const g = grads[i];
      const m = tf.add(tf.mul(state.m[i], adamBeta1), tf.mul(g, 1 - adamBeta1));
      const v = tf.add(tf.mul(state.v[i], adamBeta2), tf.mul(tf.square(g), 1 - adamBeta2));
      state.m[i].assign(m);
      state.v[i].assign(v);
      const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), adamEps));
      p.assign(tf.sub(p, tf.mul(tf.add(update, tf.mul(p, weightDecay)), lr)));
    });
  });
  state.step = t;
}

export function disposeAdamState(state: AdamState): void {
  for (const x of [...state.m, ...state.v]) x.dispose();
}
