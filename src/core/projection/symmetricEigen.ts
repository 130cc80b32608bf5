/**
 * Dense linear algebra on the few vectors of a subspace iteration: an eigendecomposition of a small
 * symmetric matrix and Gram-Schmidt. Both run in float64 in JavaScript; n is at most a dozen, so
 * neither is worth a kernel.
 */
import { gaussian, type Rng } from '../util/random';

const sweeps = 60;

/**
 * Eigenvalues (descending) and unit eigenvectors (rows of `vectors`, n x n) of the symmetric n x n
 * matrix `a`, by cyclic Jacobi rotations: exact to rounding for small n, and no convergence
 * subtleties when eigenvalues coincide.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const m = a.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (const e of m) scale += e * e;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const kp = m[k * n + p];
          const kq = m[k * n + q];
          m[k * n + p] = c * kp - s * kq;
          m[k * n + q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = m[p * n + k];
          const qk = m[q * n + k];
          m[p * n + k] = c * pk - s * qk;
          m[q * n + k] = s * pk + c * qk;
        }
        for (let k = 0; k < n; k++) {
          const kp = v[k * n + p];
          const kq = v[k * n + q];
          v[k * n + p] = c * kp - s * kq;
          v[k * n + q] = s * kp + c * kq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((col, row) => {
    for (let k = 0; k < n; k++) vectors[row * n + k] = v[k * n + col];
  });
  return { values: order.map((i) => m[i * n + i]), vectors };
}

/**
 * The rows of `rows` (count x dim) made orthonormal in place, in order. A row that is (nearly) in the
 * span of those before it is replaced by a random direction, so the basis keeps its size when the
 * data has fewer directions than the basis has rows.
 */
export function orthonormalizeRows(rows: Float64Array, count: number, dim: number, rng: Rng): void {
  for (let i = 0; i < count; i++) {
    const row = rows.subarray(i * dim, (i + 1) * dim);
    let before = 0;
    for (const e of row) before += e * e;
    for (let attempt = 0; ; attempt++) {
      // Twice: one pass of classical Gram-Schmidt leaves float64 residue when rows are nearly parallel.
      for (let pass = 0; pass < 2; pass++)
        for (let j = 0; j < i; j++) {
          const prev = rows.subarray(j * dim, (j + 1) * dim);
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += row[d] * prev[d];
          for (let d = 0; d < dim; d++) row[d] -= dot * prev[d];
        }
      let norm = 0;
      for (const e of row) norm += e * e;
      if (norm > 1e-20 * before && norm > 0) {
        norm = Math.sqrt(norm);
        for (let d = 0; d < dim; d++) row[d] /= norm;
        break;
      }
      if (attempt > 8) throw new Error(`cannot find ${count} orthonormal directions in ${dim} dimensions`);
      for (let d = 0; d < dim; d++) row[d] = gaussian(rng);
      before = 0;
      for (const e of row) before += e * e;
    }
  }
}
