/**
 * Trainable heads on frozen features: one linear map W (D_in x D_out) per modality, outputs
 * re-normalised. Identity when D_in == D_out, so an untrained head reproduces its (normalised) input
 * exactly; otherwise a seeded Gaussian projection N(0, 1/D_out), which keeps norms about unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gaussian, mulberry32 } from '../util/random';
import { fusedNormalizeBackward, fusedNormalizeRows } from './fusedRows';
import { matMulAT } from './matmul';
import { useFusedKernels } from './webgpuKernel';

export interface Heads {
  image: tf.Variable<tf.Rank.R2>;
  text: tf.Variable<tf.Rank.R2>;
}

export function initialWeights(dIn: number, dOut: number, seed: number): Float32Array {
  const w = new Float32Array(dIn * dOut);
  if (dIn === dOut) {
    for (let i = 0; i < dIn; i++) w[i * dOut + i] = 1;
    return w;
  }
  const rng = mulberry32(seed);
  const scale = 1 / Math.sqrt(dOut);
  for (let i = 0; i < w.length; i++) w[i] = gaussian(rng) * scale;
  return w;
}

/** Separate seeds per modality, so two equal-sized random projections differ. */
export function createHeads(dImage: number, dText: number, dOut: number, seed: number): Heads {
  return headsFrom(
    { shape: [dImage, dOut], data: initialWeights(dImage, dOut, seed ^ 0x1a9e) },
    { shape: [dText, dOut], data: initialWeights(dText, dOut, seed ^ 0x7e47) },
  );
}

export interface WeightArray {
  shape: [number, number];
  data: Float32Array;
}

/** Heads holding the given weights (a resumed run's). */
export function headsFrom(image: WeightArray, text: WeightArray): Heads {
  // tidy frees the initial values; variables outlive it.
  return tf.tidy(() => ({
    image: tf.variable(tf.tensor2d(image.data, image.shape), true),
    text: tf.variable(tf.tensor2d(text.data, text.shape), true),
  }));
}

export interface HeadPass {
  /** normalize(x W). */
  z: tf.Tensor2D;
  /** dL/dW given dL/dz. */
  backward(dz: tf.Tensor2D): tf.Tensor2D;
}

/** The head on unit rows x; call inside tf.tidy (`backward` uses the forward's tensors). */
export function headPass(x: tf.Tensor2D, w: tf.Tensor2D): HeadPass {
  const p = tf.matMul(x, w) as tf.Tensor2D;
  if (useFusedKernels()) {
    const z = fusedNormalizeRows(p);
    return { z, backward: (dz) => tf.matMul(x, fusedNormalizeBackward(dz, z, p), true, false) };
  }
  const norm = tf.norm(p, 'euclidean', 1, true);
  const z = tf.div(p, norm) as tf.Tensor2D;
  return {
    z,
    backward(dz) {
      // d normalize(p) = (dz - z (dz . z)) / |p|, then dW = x^T dp.
      const dp = tf.div(tf.sub(dz, tf.mul(z, tf.sum(tf.mul(dz, z), 1, true))), norm) as tf.Tensor2D;
      return matMulAT(x, dp);
    },
  };
}

/**
 * Each row of a tensor scaled to unit length, on the device: the form every head input and output
 * takes. metrics/normalize.ts's normalizeRows does the same on the CPU and checks each row's norm.
 */
export function normalizeTensorRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.norm(x, 'euclidean', 1, true));
}

export function disposeHeads(heads: Heads): void {
  heads.image.dispose();
  heads.text.dispose();
}
