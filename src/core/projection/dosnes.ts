/**
 * DOSNES (Lu et al. 2019): t-SNE with the embedding constrained to the unit sphere S². Gaussian
 * input affinities at a fixed perplexity, a Student-t kernel on 3D chord distances, and gradient
 * steps projected onto each point's tangent plane and renormalised back onto the sphere.
 */
import { throwIfCancelled, type CancelToken } from '../util/cancel';
import { sparseAffinities } from './neighbours';
import { RepulsionTree } from './octree';

const perplexity = 30;
/** With momentum, enough to settle from the PCA start; most of a layout's time (docs/performance.md). */
const iterations = 300;
/** Iterations with exaggerated attraction (and low momentum), so clusters form before they spread. */
const exaggerationIterations = 100;
const exaggeration = 12;
/** t-SNE's usual step, in the scaled coordinates sqrt(kappa) * y (see below). */
const learningRate = 200;

/**
 * Barnes-Hut's cell acceptance, side / distance (see octree.ts). At 0.5 the repulsive forces stay
 * within a few percent of the exact sums and the final KL(P || Q) and cluster separation do not
 * change, at half the cost of theta = 0.3 and an eighth of the exact sums (docs/performance.md).
 */
const theta = 0.5;

/**
 * Spherical embedding of n unit rows `x` (n x dim), started from `init` (n x 3, unit rows, e.g. the
 * PCA-3 sphere), so the same input gives the same layout. Returns n x 3 unit rows. Synchronous (callers
 * run it in a worker), so it polls `token` every few rows of the neighbour search and every 10
 * iterations, and reports the fraction done to `progress` as often.
 */
export function dosnes(
  x: Float32Array,
  n: number,
  dim: number,
  init: Float32Array,
  options?: { token?: CancelToken; progress?: (fraction: number) => void },
): Float32Array {
  const token = options?.token;
  const progress = options?.progress;
  const y = Float64Array.from(init);
  throwIfCancelled(token);
  if (n < 3) {
    progress?.(1);
    return Float32Array.from(y);
  }
  // The part of the time the affinities take, for progress only: ~0.3 at 1,000-2,000 points, D = 512.
  const searchShare = 0.3;
  const { rowStart, cols, p } = sparseAffinities(x, n, dim, Math.min(perplexity, (n - 1) / 3), (fraction) => {
    throwIfCancelled(token);
    progress?.(searchShare * fraction);
  });
  // Rows are sorted by column: where each row's columns pass its own index.
  const upperStart = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let s = rowStart[i];
    while (s < rowStart[i + 1] && cols[s] < i) s++;
    upperStart[i] = s;
  }
  // The kernel is 1 / (1 + kappa d²) on chord distances d <= 2. With kappa = 1 it would barely vary
  // over the sphere and nothing would separate; kappa = n / 4 gives the sphere, in t-SNE's units,
  // roughly the area a t-SNE layout of n points spans. Capped at 100: a larger kappa separated
  // planted clusters less well (docs/performance.md, "Projection").
  const kappa = Math.max(4, Math.min(100, n / 4));
  // Each point's gradient shrinks as 1/n (P sums to 1), so past 1,000 points the step grows with n to
  // keep the per-point step it was tuned at; with a fixed step, a few thousand points were still
  // tangled after the 300 iterations (docs/performance.md, "Projection").
  const step = Math.max(learningRate, n / 5) / kappa;
  const velocity = new Float64Array(3 * n);
  const attract = new Float64Array(3 * n);
  const repel = new Float64Array(3 * n);
  const grad = new Float64Array(3 * n);
  const tree = new RepulsionTree(n);
  for (let it = 0; it < iterations; it++) {
    if (it % 10 === 0) {
      throwIfCancelled(token);
      progress?.(searchShare + ((1 - searchShare) * it) / iterations);
    }
    const early = it < exaggerationIterations;
    const ex = early ? exaggeration : 1;
    const momentum = early ? 0.5 : 0.8;
    tree.build(y);
    const z = tree.repulsion(kappa, theta, repel);
    // Attraction sum_j p_ij w_ij (y_i - y_j), each pair once (j > i) and applied to both ends: half the
    // kernel evaluations of reading every row in full.
    attract.fill(0);
    for (let i = 0; i < n; i++) {
      const o = 3 * i;
      const [xi, yi, zi] = [y[o], y[o + 1], y[o + 2]];
      let ax = 0;
      let ay = 0;
      let az = 0;
      for (let s = upperStart[i]; s < rowStart[i + 1]; s++) {
        const j = 3 * cols[s];
        const dx = xi - y[j];
        const dy = yi - y[j + 1];
        const dz = zi - y[j + 2];
        const pw = p[s] / (1 + kappa * (dx * dx + dy * dy + dz * dz));
        ax += pw * dx;
        ay += pw * dy;
        az += pw * dz;
        attract[j] -= pw * dx;
        attract[j + 1] -= pw * dy;
        attract[j + 2] -= pw * dz;
      }
      attract[o] += ax;
      attract[o + 1] += ay;
      attract[o + 2] += az;
    }
    for (let o = 0; o < 3 * n; o++) grad[o] = 4 * kappa * (ex * attract[o] - repel[o] / z);
    for (let i = 0; i < n; i++) {
      const o = 3 * i;
      // Only the tangent part moves the point along the sphere; the radial part would be undone.
      const radial = grad[o] * y[o] + grad[o + 1] * y[o + 1] + grad[o + 2] * y[o + 2];
      let len = 0;
      for (let c = 0; c < 3; c++) {
        velocity[o + c] = momentum * velocity[o + c] - step * (grad[o + c] - radial * y[o + c]);
        y[o + c] += velocity[o + c];
        len += y[o + c] * y[o + c];
      }
      len = Math.sqrt(len) || 1;
      for (let c = 0; c < 3; c++) y[o + c] /= len;
    }
  }
  progress?.(1);
  return Float32Array.from(y);
}
