/**
 * DOSNES (Lu et al. 2019): t-SNE with the embedding constrained to the unit sphere S². Gaussian
 * input affinities at a fixed perplexity, a Student-t kernel on 3D chord distances, and gradient
 * steps projected onto each point's tangent plane and renormalised back onto the sphere.
 */
const perplexity = 30;
/** With momentum, enough to settle from the PCA start; ~1.5 s of the ~2 s at 1,000 points, D = 512. */
const iterations = 300;
/** Iterations with exaggerated attraction (and low momentum), so clusters form before they spread. */
const exaggerationIterations = 100;
const exaggeration = 12;
/** t-SNE's usual step, in the scaled coordinates sqrt(kappa) * y (see below). */
const learningRate = 200;

/**
 * |a - b|² = 2 - 2 a.b for every pair of the n unit rows (n x dim). Plain JS: measured faster here
 * than tfjs-wasm's matMul plus the read-back at these sizes.
 */
function squaredDistances(x: Float32Array, n: number, dim: number): Float32Array {
  const sq = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let j = i + 1; j < n; j++) {
      const b = j * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += x[a + d] * x[b + d];
      sq[i * n + j] = sq[j * n + i] = Math.max(0, 2 - 2 * dot);
    }
  }
  return sq;
}

/**
 * Symmetric joint affinities P (dense n x n, summing to 1). Each conditional P(j|i) is a Gaussian
 * over the 3 * perplexity nearest neighbours only (as Barnes-Hut t-SNE does): the rest are ~0 anyway
 * and the bandwidth search then costs O(k) per step instead of O(n).
 */
function affinities(sq: Float32Array, n: number, perp: number): Float32Array {
  const k = Math.min(n - 1, Math.ceil(3 * perp));
  const target = Math.log(Math.min(perp, k));
  const cond = new Float32Array(n * n);
  const row = new Float64Array(n);
  const nb = new Int32Array(k);
  const dist = new Float64Array(k);
  const w = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = j === i ? Infinity : sq[i * n + j];
    const kth = row.slice().sort()[k - 1];
    let m = 0;
    for (let j = 0; j < n && m < k; j++) if (row[j] <= kth) (nb[m] = j), (dist[m++] = row[j]);
    const dmin = Math.min(...dist.subarray(0, m));
    // Binary search on the precision beta for entropy log(perplexity); distances offset by the
    // nearest one so exp() never underflows to an all-zero row.
    let [beta, lo, hi] = [1, 0, Infinity];
    let sum = 0;
    for (let it = 0; it < 64; it++) {
      sum = 0;
      let dot = 0;
      for (let a = 0; a < m; a++) {
        w[a] = Math.exp(-beta * (dist[a] - dmin));
        sum += w[a];
        dot += w[a] * (dist[a] - dmin);
      }
      const entropy = Math.log(sum) + (beta * dot) / sum;
      if (Math.abs(entropy - target) < 1e-5) break;
      if (entropy > target) [lo, beta] = [beta, hi === Infinity ? beta * 2 : (beta + hi) / 2];
      else [hi, beta] = [beta, (beta + lo) / 2];
    }
    for (let a = 0; a < m; a++) cond[i * n + nb[a]] = w[a] / sum;
  }
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = (cond[i * n + j] + cond[j * n + i]) / (2 * n);
  return p;
}

/**
 * Spherical embedding of n unit rows `x` (n x dim), started from `init` (n x 3, unit rows, e.g. the
 * PCA-3 sphere), so the same input gives the same layout. Returns n x 3 unit rows.
 */
export function dosnes(x: Float32Array, n: number, dim: number, init: Float32Array): Float32Array {
  const y = Float64Array.from(init);
  if (n < 3) return Float32Array.from(y);
  const p = affinities(squaredDistances(x, n, dim), n, Math.min(perplexity, (n - 1) / 3));
  // The kernel is 1 / (1 + kappa d²) on chord distances d <= 2. With kappa = 1 it would barely vary
  // over the sphere and nothing would separate; kappa = n / 4 gives the sphere, in t-SNE's units,
  // roughly the area a t-SNE layout of n points spans. Capped at 100: at 1,000 planted-cluster
  // points kappa = 250 separated them less well (intra/inter chord 0.38/1.18 against 0.16/1.31).
  const kappa = Math.max(4, Math.min(100, n / 4));
  const step = learningRate / kappa;
  const velocity = new Float64Array(3 * n);
  const attract = new Float64Array(3 * n);
  const repel = new Float64Array(3 * n);
  for (let it = 0; it < iterations; it++) {
    const early = it < exaggerationIterations;
    const ex = early ? exaggeration : 1;
    const momentum = early ? 0.5 : 0.8;
    let z = 0;
    // Full rows, so the inner loop only adds into locals (writing into the other point of each
    // pair made it several times slower): attraction sum p w (yi - yj) and repulsion sum w² (yi - yj),
    // whose 1/Z factor applies once Z is complete.
    for (let i = 0; i < n; i++) {
      const xi = y[3 * i];
      const yi = y[3 * i + 1];
      const zi = y[3 * i + 2];
      let ax = 0;
      let ay = 0;
      let az = 0;
      let rx = 0;
      let ry = 0;
      let rz = 0;
      let zs = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) {
        const dx = xi - y[3 * j];
        const dy = yi - y[3 * j + 1];
        const dz = zi - y[3 * j + 2];
        const w = 1 / (1 + kappa * (dx * dx + dy * dy + dz * dz));
        zs += w;
        const pw = p[row + j] * w;
        const ww = w * w;
        ax += pw * dx;
        ay += pw * dy;
        az += pw * dz;
        rx += ww * dx;
        ry += ww * dy;
        rz += ww * dz;
      }
      // j = i added w = 1 to Z and nothing to the sums (d = 0).
      z += zs - 1;
      attract[3 * i] = ex * ax;
      attract[3 * i + 1] = ex * ay;
      attract[3 * i + 2] = ex * az;
      repel[3 * i] = rx;
      repel[3 * i + 1] = ry;
      repel[3 * i + 2] = rz;
    }
    for (let i = 0; i < n; i++) {
      const o = 3 * i;
      const grad = [0, 1, 2].map((c) => 4 * kappa * (attract[o + c] - repel[o + c] / z));
      // Only the tangent part moves the point along the sphere; the radial part would be undone.
      const radial = grad[0] * y[o] + grad[1] * y[o + 1] + grad[2] * y[o + 2];
      let len = 0;
      for (let c = 0; c < 3; c++) {
        velocity[o + c] = momentum * velocity[o + c] - step * (grad[c] - radial * y[o + c]);
        y[o + c] += velocity[o + c];
        len += y[o + c] * y[o + c];
      }
      len = Math.sqrt(len) || 1;
      for (let c = 0; c < 3; c++) y[o + c] /= len;
    }
  }
  return Float32Array.from(y);
}
