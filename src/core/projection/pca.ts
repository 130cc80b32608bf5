/**
 * Principal components of a point cloud (the scatter of image and text points together): the
 * D x D covariance comes from tfjs in row blocks, accumulated in float64; the top k eigenvectors from
 * power iteration with deflation, which needs only D x D matrix-vector products.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '../checkpoint';
import { gaussian, mulberry32 } from '../random';

const blockRows = 2048;
const maxIterations = 1000;
const tolerance = 1e-10;

export interface Pca {
  /** k x D, unit rows; each row's largest-magnitude entry is positive, so the sign is stable. */
  components: Float32Array;
  /** M x k coordinates of the centred points. */
  projected: Float32Array;
  /** Fraction of the total variance along each component. */
  explained: number[];
}

function centred(points: Matrix): Float32Array {
  const { rows, cols, data } = points;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let d = 0; d < cols; d++) mean[d] += data[r * cols + d];
  for (let d = 0; d < cols; d++) mean[d] /= rows;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let d = 0; d < cols; d++) out[r * cols + d] = data[r * cols + d] - mean[d];
  return out;
}

/** (1/M) Xc^T Xc as sums of Xc_b^T Xc_b, Xc_b^T transposed once per block (plain matMul). */
async function covariance(xc: Float32Array, rows: number, cols: number): Promise<Float64Array> {
  const cov = new Float64Array(cols * cols);
  for (let a = 0; a < rows; a += blockRows) {
    const b = Math.min(rows, a + blockRows);
    const part = tf.tidy(() => {
      const block = tf.tensor2d(xc.subarray(a * cols, b * cols), [b - a, cols]);
      return tf.matMul(tf.transpose(block), block);
    });
    const v = await part.data(); // not dataSync: webgpu in Node cannot serve it
    part.dispose();
    for (let e = 0; e < v.length; e++) cov[e] += v[e];
  }
  for (let e = 0; e < cov.length; e++) cov[e] /= rows;
  return cov;
}

/** Dominant eigenpair of the symmetric matrix `c` (n x n) by power iteration. */
function dominant(c: Float64Array, n: number, start: Float64Array): { value: number; vector: Float64Array } {
  let v = start.slice();
  let w = new Float64Array(n);
  let value = 0;
  for (let it = 0; it < maxIterations; it++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let d = 0; d < n; d++) s += c[r * n + d] * v[d];
      w[r] = s;
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += w[r] * w[r];
    norm = Math.sqrt(norm);
    if (norm === 0) return { value: 0, vector: v }; // nothing left: any direction will do
    let change = 0;
    for (let r = 0; r < n; r++) {
      w[r] /= norm;
      change += (w[r] - v[r]) ** 2;
    }
    value = norm;
    [v, w] = [w, v];
    if (change < tolerance) break;
  }
  return { value, vector: v };
}

export async function pca(points: Matrix, k: number): Promise<Pca> {
  const { rows, cols } = points;
  const xc = centred(points);
  const cov = await covariance(xc, rows, cols);
  let trace = 0;
  for (let d = 0; d < cols; d++) trace += cov[d * cols + d];
  const rng = mulberry32(7); // a fixed random start: never orthogonal to a planted direction by design
  const start = Float64Array.from({ length: cols }, () => gaussian(rng));
  const components = new Float32Array(k * cols);
  const explained: number[] = [];
  for (let c = 0; c < k; c++) {
    const { value, vector } = dominant(cov, cols, start);
    let big = 0;
    for (let d = 0; d < cols; d++) if (Math.abs(vector[d]) > Math.abs(vector[big])) big = d;
    const sign = vector[big] < 0 ? -1 : 1;
    for (let d = 0; d < cols; d++) components[c * cols + d] = sign * vector[d];
    explained.push(trace > 0 ? value / trace : 0);
    // Deflate: remove the found direction so the next iteration converges to the next one.
    for (let r = 0; r < cols; r++) for (let d = 0; d < cols; d++) cov[r * cols + d] -= value * vector[r] * vector[d];
  }
  const projected = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let d = 0; d < cols; d++) s += xc[r * cols + d] * components[c * cols + d];
      projected[r * k + c] = s;
    }
  return { components, projected, explained };
}
