/**
 * WebGPU kernels for the training step, each doing the work of 5 to 30 TensorFlow.js ops. On a GPU
 * a step is bound by dispatches, not arithmetic (docs/performance.md, "Training step"), so
 * the geodesic mixes and AdamW run as a handful of kernels each (the softmax cross-entropies are in
 * fusedSoftmax.ts). The math is that of the op-by-op versions in mixup.ts and adamw.ts, which the
 * other backends use and the tests compare these with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { clampEps, linearBelow } from './mixup';
import { inputNames, runKernel } from './webgpuKernel';

/** Per row: ca, cb, theta, and 1 where the clamp or the small-angle limit holds the coefficients. */
const mixCoefficients = `
    let d = uniforms.d;
    var raw = 0.0;
    for (var k = 0; k < d; k++) { raw += A[index * d + k] * B[index * d + k]; }
    let dot = clamp(raw, -1.0 + ${clampEps}, 1.0 - ${clampEps});
    let theta = acos(dot);
    let lam = C[index];
    let linear = theta < ${linearBelow};
    let ca = select(sin(lam * theta) / sin(theta), lam, linear);
    let cb = select(sin((1.0 - lam) * theta) / sin(theta), 1.0 - lam, linear);
    setOutputAtIndex(4 * index, ca);
    setOutputAtIndex(4 * index + 1, cb);
    setOutputAtIndex(4 * index + 2, theta);
    setOutputAtIndex(4 * index + 3, select(0.0, 1.0, raw != dot || linear));`;

/**
 * m_lambda(a_i, b_i) row by row (geodesicMix's math) for unit rows a, b (R x D) and each row's
 * lambda; `backward` returns the gradients for a and b given the one for the mix.
 */
export function fusedGeodesicMix(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  lambda: tf.Tensor1D,
): { mixed: tf.Tensor2D; backward(g: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] } {
  const [r, d] = a.shape;
  const coefficients = runKernel('mixCoefficients', mixCoefficients, [a, b, lambda], [r, 4], r, { d: [d] });
  // out = c_x x + c_y y + c_g g, with each coefficient a row's entry `x`, `y`, `g` of C (or 0).
  const combine = (key: string, inputs: tf.Tensor[], terms: string) =>
    runKernel(
      `mixCombine_${key}`,
      `let row = index / uniforms.d;\n    setOutputAtIndex(index, ${terms});`,
      inputs,
      [r, d],
      r * d,
      { d: [d] },
    ) as tf.Tensor2D;
  return {
    mixed: combine('forward', [a, b, coefficients], 'C[4 * row] * A[index] + C[4 * row + 1] * B[index]'),
    backward(g) {
      const dDot = runKernel(
        'mixBackward',
        `
    let d = uniforms.d;
    var ga = 0.0;
    var gb = 0.0;
    for (var k = 0; k < d; k++) {
      ga += A[index * d + k] * B[index * d + k];
      gb += A[index * d + k] * C[index * d + k];
    }
    let theta = D[4 * index + 2];
    let lam = E[index];
    let s = sin(theta);
    let c = cos(theta);
    let dcaTheta = (lam * cos(lam * theta) * s - sin(lam * theta) * c) / (s * s);
    let dcbTheta = ((1.0 - lam) * cos((1.0 - lam) * theta) * s - sin((1.0 - lam) * theta) * c) / (s * s);
    let dTheta = ga * dcaTheta + gb * dcbTheta;
    setOutputAtIndex(index, select(-dTheta / s, 0.0, D[4 * index + 3] > 0.5));`,
        [g, a, b, coefficients, lambda],
        [r],
        r,
        { d: [d] },
      );
      // da = ca g + dDot b, db = cb g + dDot a.
      return [
        combine('backwardA', [g, b, coefficients, dDot], 'C[4 * row] * A[index] + D[row] * B[index]'),
        combine('backwardB', [g, a, coefficients, dDot], 'C[4 * row + 1] * A[index] + D[row] * B[index]'),
      ];
    },
  };
}

export interface AdamwConstants {
  beta1: number;
  beta2: number;
  /** Bias corrections 1 - beta^t of this step. */
  correction1: number;
  correction2: number;
  eps: number;
  lr: number;
  weightDecay: number;
}

/**
 * One AdamW update of a parameter: its new first and second moments and its new value (three
 * kernels, each reading only what it uses), each left as it was where `apply` (a scalar) is 0.
 */
export function fusedAdamw(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  apply: tf.Scalar,
  k: AdamwConstants,
): { m: tf.Tensor; v: tf.Tensor; param: tf.Tensor } {
  const n = param.size;
  const uniforms = {
    b1: k.beta1,
    b2: k.beta2,
    c1: k.correction1,
    c2: k.correction2,
    eps: k.eps,
    lr: k.lr,
    wd: k.weightDecay,
  };
  const first = (g: string, m: string) => `uniforms.b1 * ${m}[index] + (1.0 - uniforms.b1) * ${g}[index]`;
  const second = (g: string, v: string) =>
    `uniforms.b2 * ${v}[index] + (1.0 - uniforms.b2) * ${g}[index] * ${g}[index]`;
  // The gate is the last input; select() keeps the old value exactly, NaN in the new one or not.
  const run = (what: string, old: string, next: string, inputs: tf.Tensor[]) => {
    const gate = inputNames[inputs.length];
    return runKernel(
      `adamw_${what}`,
      `${next}\n    setOutputAtIndex(index, select(${old}[index], next, ${gate}[0] > 0.5));`,
      [...inputs, apply],
      param.shape,
      n,
      uniforms,
    );
  };
  return {
    m: run('m', 'B', `let next = ${first('A', 'B')};`, [grad, m]),
    v: run('v', 'B', `let next = ${second('A', 'B')};`, [grad, v]),
    param: run(
      'param',
      'A',
      `let m = ${first('B', 'C')};
    let v = ${second('B', 'D')};
    let next = A[index] - uniforms.lr * ((m / uniforms.c1) / (sqrt(v / uniforms.c2) + uniforms.eps) + uniforms.wd * A[index]);`,
      [param, grad, m, v],
    ),
  };
}
