/** Geodesic mixup on the unit sphere (METRICS.md, "Geodesic mixup"), with its backward pass. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * a.b is clamped into [-1 + eps, 1 - eps] so acos and 1/sin(theta) stay finite. 1e-6 is about 17
 * float32 steps below 1, so the clamp survives rounding; it keeps theta >= ~1.4e-3.
 */
export const clampEps = 1e-6;
/** Below this angle the coefficients are their theta -> 0 limits, lambda and 1 - lambda. */
export const linearBelow = 2e-3;

export interface Mix {
  /** Row-wise m_lambda(a_i, b_i). */
  mixed: tf.Tensor2D;
  /** Gradients with respect to a and b, given the gradient with respect to `mixed`. */
  backward(g: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D];
}

/**
 * m = ca a + cb b with ca = sin(lambda theta) / sin(theta), cb = sin((1 - lambda) theta) / sin(theta),
 * theta = acos(a.b), for unit rows a and b (B x D); lambda = 1 gives a, 0 gives b. lambda is one
 * number, or a B x 1 column (a row's own), so several mixes run as one. Call inside tf.tidy:
 * `backward` uses tensors of the forward pass.
 */
export function geodesicMix(a: tf.Tensor2D, b: tf.Tensor2D, lambda: number | tf.Tensor2D): Mix {
  const raw = tf.sum(tf.mul(a, b), 1, true);
  const dot = tf.clipByValue(raw, -1 + clampEps, 1 - clampEps);
  const theta = tf.acos(dot);
  const sin = tf.sin(theta);
  const cos = tf.cos(theta);
  const linear = tf.less(theta, linearBelow);
  const la = typeof lambda === 'number' ? tf.fill(theta.shape, lambda) : lambda;
  const lb = tf.sub(1, la);
  const sinA = tf.sin(tf.mul(theta, la));
  const sinB = tf.sin(tf.mul(theta, lb));
  const ca = tf.where(linear, la, tf.div(sinA, sin));
  const cb = tf.where(linear, lb, tf.div(sinB, sin));
  const mixed = tf.add(tf.mul(ca, a), tf.mul(cb, b)) as tf.Tensor2D;
  return {
    mixed,
    backward(g) {
      // d ca / d theta = (lambda cos(lambda theta) sin - sin(lambda theta) cos) / sin^2, same for cb.
      const sin2 = tf.square(sin);
      const dcaTheta = tf.div(tf.sub(tf.mul(tf.mul(tf.cos(tf.mul(theta, la)), la), sin), tf.mul(sinA, cos)), sin2);
      const dcbTheta = tf.div(tf.sub(tf.mul(tf.mul(tf.cos(tf.mul(theta, lb)), lb), sin), tf.mul(sinB, cos)), sin2);
      const dTheta = tf.add(
        tf.mul(tf.sum(tf.mul(g, a), 1, true), dcaTheta),
        tf.mul(tf.sum(tf.mul(g, b), 1, true), dcbTheta),
      );
      // d theta / d dot = -1 / sin(theta); zero where the clamp or the linear limit holds the coefficients.
      const clamped = tf.logicalOr(tf.notEqual(raw, dot), linear);
      const dDot = tf.where(clamped, tf.zerosLike(theta), tf.div(tf.neg(dTheta), sin));
      return [
        tf.add(tf.mul(ca, g), tf.mul(dDot, b)) as tf.Tensor2D,
        tf.add(tf.mul(cb, g), tf.mul(dDot, a)) as tf.Tensor2D,
      ];
    },
  };
}
