/**
 * AdamW (Loshchilov & Hutter): Adam with bias correction plus weight decay applied to the weights
 * directly (decoupled), w <- w - lr (m^ / (sqrt(v^) + eps) + wd w). Betas and eps are PyTorch's
 * defaults, which the m2-Mix reference scripts use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamw } from './fusedKernels';
import { useFusedKernels } from './webgpuKernel';

export const adamBeta1 = 0.9;
export const adamBeta2 = 0.999;
export const adamEps = 1e-8;

export interface AdamState {
  /** Steps so far, skipped updates included; the bias correction of the next one uses step + 1. */
  step: number;
  m: tf.Variable[];
  v: tf.Variable[];
  /**
   * 1 on the device while every loss so far was finite, then 0 for good: steps gate their update on
   * it there, so a step can be queued before the previous step's loss is read back.
   */
  healthy: tf.Variable<tf.Rank.R0>;
}

export function createAdamState(
  params: tf.Variable[],
  step = 0,
  moments?: { m: tf.Tensor[]; v: tf.Tensor[] },
): AdamState {
  // tidy frees the initial values; variables outlive it.
  return tf.tidy(() => ({
    step,
    m: params.map((p, i) => tf.variable(moments ? moments.m[i] : tf.zerosLike(p), false)),
    v: params.map((p, i) => tf.variable(moments ? moments.v[i] : tf.zerosLike(p), false)),
    healthy: tf.variable(tf.scalar(1), false),
  }));
}

/**
 * One update of every parameter. With `apply`, a device scalar, the parameters and moments change
 * only where it is 1. webgpu gates each element in its kernels, since it cannot read `apply` without
 * waiting for the step; every other backend reads it synchronously (it is ready there, or, on
 * tfjs-node-gpu, a wait the step had anyway) and skips the update, cheaper than gating elements.
 */
export function adamwStep(
  params: tf.Variable[],
  grads: tf.Tensor[],
  state: AdamState,
  lr: number,
  weightDecay: number,
  apply?: tf.Scalar,
): void {
  const t = state.step + 1;
  state.step = t;
  const fused = useFusedKernels();
  if (apply && !fused && apply.dataSync()[0] !== 1) return;
  const correction1 = 1 - adamBeta1 ** t;
  const correction2 = 1 - adamBeta2 ** t;
  tf.tidy(() => {
    const gate = fused ? (apply ?? tf.scalar(1)) : undefined;
    // A scope per parameter: each one's D x D intermediates go before the next one's are made.
    params.forEach((p, i) =>
      tf.tidy(() => {
        if (gate) {
          const k = { beta1: adamBeta1, beta2: adamBeta2, correction1, correction2, eps: adamEps, lr, weightDecay };
          const next = fusedAdamw(p, grads[i], state.m[i], state.v[i], gate, k);
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
      }),
    );
  });
}

export function disposeAdamState(state: AdamState): void {
  for (const x of [...state.m, ...state.v, state.healthy]) x.dispose();
}
