/** The softmax cross-entropies every loss term is made of, against identity and reversed-identity targets. */
import * as tf from '@tensorflow/tfjs-core';

export interface SoftmaxCrossEntropy {
  losses: tf.Tensor1D;
  dS: tf.Tensor3D;
}

/**
 * I, or with `reversed` J (J[i][B-1-i] = 1), built on the device from B indices: tf.eye fills a
 * B x B array in JS and uploads it, 1 MB at B = 512, several times a step.
 */
export function identity(b: number, reversed = false): tf.Tensor2D {
  return tf.tidy(() => {
    const columns = reversed ? tf.range(b - 1, -1, -1, 'int32') : tf.range(0, b, 1, 'int32');
    // int32, then cast: tfjs-wasm's float32 oneHot writes the integers' bit patterns.
    return tf.cast(tf.oneHot(columns as tf.Tensor1D, b), 'float32') as tf.Tensor2D;
  });
}

/**
 * Cross-entropy along `axis` of a P x B x B stack of logits against targets (rows, along that axis,
 * summing to 1; broadcast over P), mean over the other axis, given sum_j S_ij T_ij along that axis:
 * one loss per matrix, and the softmax.
 */
function crossEntropies(
  logits: tf.Tensor3D,
  atTargets: tf.Tensor,
  axis: 1 | 2,
): { losses: tf.Tensor1D; softmax: tf.Tensor3D } {
  return tf.tidy(() => {
    const max = tf.max(logits, axis, true);
    const shifted = tf.sub(logits, max);
    const e = tf.exp(shifted);
    shifted.dispose();
    const sum = tf.sum(e, axis, true);
    const logSumExp = tf.add(tf.log(sum), max);
    const losses = tf.mean(tf.sub(logSumExp, atTargets), [1, 2]) as tf.Tensor1D;
    return { losses, softmax: tf.div(e, sum) as tf.Tensor3D };
  });
}

/**
 * Cross-entropy of each of P stacked B x B logit matrices against T = alpha_p I + beta_p J over rows,
 * and with `symmetric` also over columns (the rows of S^T; I and J are symmetric, so T^T = T),
 * averaged: the losses, and dS = scale_p (softmax - T), rows' and columns' summed; op by op (webgpu
 * runs fusedSoftmax.ts's blockedSoftmaxCrossEntropy instead). A step's peak memory is a count of
 * P x B x B tensors, and it bounds the batch (wasm's heap is 4 GiB), so each is freed as soon as it
 * is used: at most five live at once. `check` runs between the rows' and the columns' halves
 * (seconds each at batch 4,096 on wasm) and may throw to stop the step.
 */
export function opsSoftmaxCrossEntropy(
  logits: tf.Tensor3D,
  alpha: number[],
  beta: number[],
  scale: number[],
  symmetric: boolean,
  check: () => void = () => undefined,
): SoftmaxCrossEntropy {
  return tf.tidy(() => {
    const [p, b] = logits.shape;
    const perMatrix = (v: number[]) => tf.tensor3d(v, [p, 1, 1]);
    const targets = tf.tidy(() =>
      tf.add(tf.mul(perMatrix(alpha), identity(b)), tf.mul(perMatrix(beta), identity(b, true))),
    );
    const lt = tf.mul(logits, targets);
    const [rowsAt, colsAt] = [tf.sum(lt, 2, true), symmetric ? tf.sum(lt, 1, true) : undefined];
    lt.dispose();
    /** softmax - T along `axis`, and the losses. */
    const side = (axis: 1 | 2, atTargets: tf.Tensor) => {
      const { losses, softmax } = crossEntropies(logits, atTargets, axis);
      const d = tf.sub(softmax, targets);
      softmax.dispose();
      return { losses, d };
    };
    const rows = side(2, rowsAt);
    check();
    if (!colsAt) return { losses: rows.losses, dS: tf.mul(rows.d, perMatrix(scale)) as tf.Tensor3D };
    const cols = side(1, colsAt);
    check();
    targets.dispose();
    const sum = tf.add(rows.d, cols.d);
    tf.dispose([rows.d, cols.d]);
    return {
      losses: tf.div(tf.add(rows.losses, cols.losses), 2) as tf.Tensor1D,
      dS: tf.mul(sum, perMatrix(scale)) as tf.Tensor3D,
    };
  });
}
