/**
 * Principal components of a point cloud (the scatter of image and text points together) by subspace
 * iteration on the centred points themselves: each step multiplies a few directions by the
 * covariance as Xcᵀ(Xc V), in row blocks on the tfjs backend, so the D x D covariance is never formed.
 * That keeps the cost at O(M·D) per step where the covariance cost O(M·D²) (21 s at D = 4,096 on
 * wasm), and every tensor within one webgpu binding whatever D is. Rayleigh-Ritz on the few
 * directions, in float64, orders them and tells when the top k have converged.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '../readers/checkpoint';
import { mulberry32 } from '../util/random';
import { bindingLimit } from '../backend/webgpuRung';
import { orthonormalizeRows, symmetricEigen } from './symmetricEigen';

/** Directions iterated beyond the k asked for: convergence goes as (λ_{k+extra+1} / λ_i) per step. */
const extraDirections = 5;
/** Reached only when the top eigenvalues are nearly equal (isotropic data), where any axes will do. */
const maxIterations = 200;
/** A Ritz pair is done when ‖C v − θ v‖ ≤ tolerance · θ_1; float32 products bottom out near 1e-7. */
const tolerance = 1e-6;
/**
 * Or when the variance the top k capture grows by less than this per step. Growth g at convergence
 * rate ρ bounds the angle left as √(g / (1 − ρ²)): under 1e-3 rad, a pixel of the chart, unless the
 * eigenvalues are within 0.1% of each other, where the axes mean nothing anyway.
 */
const stall = 1e-8;
const maxBlockRows = 2048;

export interface Pca {
  /** k x D, unit rows (zero rows past D); each row's largest-magnitude entry is positive, so the sign is stable. */
  components: Float32Array;
  /** M x k coordinates of the centred points. */
  projected: Float32Array;
  /** Fraction of the total variance along each component. */
  explained: number[];
}

/** The points minus their mean, and their total variance (the covariance's trace). */
function centred(points: Matrix): { xc: Float32Array; trace: number } {
  const { rows, cols, data } = points;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let d = 0; d < cols; d++) mean[d] += data[r * cols + d];
  for (let d = 0; d < cols; d++) mean[d] /= rows;
  const xc = new Float32Array(rows * cols);
  let trace = 0;
  for (let e = 0; e < rows * cols; e++) {
    xc[e] = data[e] - mean[e % cols];
    trace += xc[e] * xc[e];
  }
  return { xc, trace: trace / rows };
}

export interface PcaOptions {
  /** Caps the bytes of one tensor of rows below the backend's own binding limit (tests split blocks with it). */
  maxBindingBytes?: number;
}

/** Xc in blocks of rows, each one tensor within the binding limit. */
function rowBlocks(xc: Float32Array, rows: number, cols: number, maxBindingBytes: number): tf.Tensor2D[] {
  const per = Math.max(1, Math.min(maxBlockRows, Math.floor(Math.min(bindingLimit(), maxBindingBytes) / (4 * cols))));
  const blocks: tf.Tensor2D[] = [];
  for (let a = 0; a < rows; a += per) {
    const b = Math.min(rows, a + per);
    blocks.push(tf.tensor2d(xc.subarray(a * cols, b * cols), [b - a, cols]));
  }
  return blocks;
}

/** (1/M) Xcᵀ Xc V for the rows of `basis` (count x D): returned as rows too, in float64. */
async function covarianceTimes(
  blocks: tf.Tensor2D[],
  basis: Float64Array,
  count: number,
  cols: number,
  rows: number,
): Promise<Float64Array> {
  const image = tf.tidy(() => {
    const v = tf.transpose(tf.tensor2d(Float32Array.from(basis), [count, cols])); // D x count, transposed once
    // Pᵀ Xc_b with the small P transposed, not Xc_b: wasm's matMul is fast only untransposed.
    const parts = blocks.map((x) => tf.matMul(tf.transpose(tf.matMul(x, v)), x));
    return parts.length === 1 ? parts[0] : tf.addN(parts);
  });
  const values = await image.data(); // not dataSync: webgpu in Node cannot serve it
  image.dispose();
  return Float64Array.from(values, (e) => e / rows);
}

/** The top `k` unit eigenvectors (rows) of the covariance and their eigenvalues. */
async function topEigenvectors(
  blocks: tf.Tensor2D[],
  rows: number,
  cols: number,
  k: number,
): Promise<{ values: number[]; vectors: Float64Array }> {
  const q = Math.min(cols, k + extraDirections);
  const rng = mulberry32(7); // a fixed random start: the same axes every time for the same points
  let basis: Float64Array = new Float64Array(q * cols);
  orthonormalizeRows(basis, q, cols, rng); // all-zero rows: each replaced by a random direction
  let previous = -Infinity;
  for (let it = 0; ; it++) {
    const image = await covarianceTimes(blocks, basis, q, cols, rows);
    // Rayleigh-Ritz: the covariance restricted to the basis, diagonalised.
    const h = new Float64Array(q * q);
    for (let i = 0; i < q; i++)
      for (let j = i; j < q; j++) {
        let s = 0;
        for (let d = 0; d < cols; d++)
          s += basis[i * cols + d] * image[j * cols + d] + basis[j * cols + d] * image[i * cols + d];
        h[i * q + j] = h[j * q + i] = s / 2;
      }
    const { values, vectors } = symmetricEigen(h, q);
    const ritz = rotate(vectors, basis, q, cols);
    const ritzImage = rotate(vectors, image, q, cols);
    let worst = 0;
    let captured = 0;
    for (let i = 0; i < Math.min(k, q); i++) {
      captured += values[i];
      let r = 0;
      for (let d = 0; d < cols; d++) r += (ritzImage[i * cols + d] - values[i] * ritz[i * cols + d]) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    const stalled = captured - previous <= stall * captured;
    previous = captured;
    if (worst <= tolerance * Math.max(values[0], 0) || stalled || it + 1 === maxIterations)
      return { values: values.slice(0, k), vectors: ritz };
    orthonormalizeRows(ritzImage, q, cols, rng);
    basis = ritzImage;
  }
}

/** Rows of S·A: S is q x q, A is q x cols. */
function rotate(s: Float64Array, a: Float64Array, q: number, cols: number): Float64Array {
  const out = new Float64Array(q * cols);
  for (let i = 0; i < q; i++)
    for (let j = 0; j < q; j++) {
      const w = s[i * q + j];
      for (let d = 0; d < cols; d++) out[i * cols + d] += w * a[j * cols + d];
    }
  return out;
}

export async function pca(points: Matrix, k: number, opts: PcaOptions = {}): Promise<Pca> {
  const { rows, cols } = points;
  const { xc, trace } = centred(points);
  const blocks = rowBlocks(xc, rows, cols, opts.maxBindingBytes ?? Infinity);
  try {
    const { values, vectors } = await topEigenvectors(blocks, rows, cols, k);
    const components = new Float32Array(k * cols);
    const explained: number[] = [];
    for (let c = 0; c < k; c++) {
      if (c >= values.length) {
        explained.push(0);
        continue;
      }
      const v = vectors.subarray(c * cols, (c + 1) * cols);
      let big = 0;
      for (let d = 0; d < cols; d++) if (Math.abs(v[d]) > Math.abs(v[big])) big = d;
      const sign = v[big] < 0 ? -1 : 1;
      for (let d = 0; d < cols; d++) components[c * cols + d] = sign * v[d];
      explained.push(trace > 0 ? Math.max(values[c], 0) / trace : 0);
    }
    const projected = tf.tidy(() => {
      const axes = tf.transpose(tf.tensor2d(components, [k, cols]));
      const parts = blocks.map((x) => tf.matMul(x, axes));
      return parts.length === 1 ? parts[0] : tf.concat(parts);
    });
    try {
      return { components, projected: (await projected.data()) as Float32Array, explained };
    } finally {
      projected.dispose();
    }
  } finally {
    for (const b of blocks) b.dispose();
  }
}
