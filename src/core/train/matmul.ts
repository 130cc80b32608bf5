/**
 * The products of the hand-written backward passes. tfjs-core's CommonJS build registers no
 * gradients (they ship only as ES modules), so training cannot use tf.grad; and on wasm the
 * transposeA/transposeB kernel forms run 3-25x slower than an explicit transpose followed by a
 * plain product (measured at 128 x 512), so every transposed product is written that way. The
 * webgpu step (fusedTerms.ts, the heads' fused branch) passes the transpose flags instead: its
 * product's shader reads either layout, and a transpose would be one more dispatch.
 */
import * as tf from '@tensorflow/tfjs-core';

/** a b^T for a (m x k), b (n x k): the similarity matrix of two sets of row vectors. */
export function matMulBT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, tf.transpose(b));
}

/** a^T b for a (k x m), b (k x n). */
export function matMulAT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.transpose(a), b);
}
