import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CancelToken } from '../../../../src/core/util/cancel';
import { CancelledError } from '../../../../src/core/util/errors';
import { dosnes } from '../../../../src/core/projection/dosnes';
import { sparseAffinities } from '../../../../src/core/projection/neighbours';
import { RepulsionTree } from '../../../../src/core/projection/octree';
import { gaussian, mulberry32, type Rng } from '../../../../src/core/util/random';

/** n unit rows in two planted clusters (first half around +e0, second around +e1), and a noisy start. */
function planted(n: number, dim: number): { x: Float32Array; init: Float32Array } {
  const rng = mulberry32(11);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    for (let d = 0; d < dim; d++) row[d] = 0.15 * gaussian(rng);
    row[i < n / 2 ? 0 : 1] += 1;
    const len = Math.hypot(...row);
    for (let d = 0; d < dim; d++) row[d] /= len;
  }
  // A start that ignores the clusters, so any separation comes from the optimisation.
  const init = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = [gaussian(rng), gaussian(rng), gaussian(rng)];
    const len = Math.hypot(...v);
    v.forEach((e, c) => (init[3 * i + c] = e / len));
  }
  return { x, init };
}

/** n random unit vectors in dim dimensions. */
function unitRows(rng: Rng, n: number, dim: number): Float64Array {
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    for (let d = 0; d < dim; d++) row[d] = gaussian(rng);
    const len = Math.hypot(...row);
    for (let d = 0; d < dim; d++) row[d] /= len;
  }
  return x;
}

/** Mean chord distance within the two planted halves and between them. */
function separation(y: Float32Array, n: number): { intra: number; inter: number } {
  let [intra, inter, ni, ne] = [0, 0, 0, 0];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = Math.hypot(y[3 * i] - y[3 * j], y[3 * i + 1] - y[3 * j + 1], y[3 * i + 2] - y[3 * j + 2]);
      if (i < n / 2 === j < n / 2) {
        intra += d;
        ni++;
      } else {
        inter += d;
        ne++;
      }
    }
  return { intra: intra / ni, inter: inter / ne };
}

/** The O(n²) sums the tree approximates: sum_j w_ij² (y_i - y_j) per point, and Z. */
function exactRepulsion(y: Float64Array, n: number, kappa: number): { force: Float64Array; z: number } {
  const force = new Float64Array(3 * n);
  let z = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const d = [0, 1, 2].map((c) => y[3 * i + c] - y[3 * j + c]);
      const w = 1 / (1 + kappa * (d[0] ** 2 + d[1] ** 2 + d[2] ** 2));
      z += w;
      for (let c = 0; c < 3; c++) force[3 * i + c] += w * w * d[c];
    }
  return { force, z };
}

/** The affinities as the dense implementation computed them before P became sparse. */
function denseAffinities(x: Float32Array, n: number, dim: number, perp: number): Float32Array {
  const sq = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += x[i * dim + d] * x[j * dim + d];
      sq[i * n + j] = sq[j * n + i] = Math.max(0, 2 - 2 * dot);
    }
  const k = Math.min(n - 1, Math.ceil(3 * perp));
  const target = Math.log(Math.min(perp, k));
  const cond = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: n }, (_, j) => (j === i ? Infinity : sq[i * n + j]));
    const kth = [...row].sort((a, b) => a - b)[k - 1];
    const nb = row.flatMap((d, j) => (d <= kth ? [j] : [])).slice(0, k);
    const dist = nb.map((j) => row[j]);
    const dmin = Math.min(...dist);
    let [beta, lo, hi, sum] = [1, 0, Infinity, 0];
    let w: number[] = [];
    for (let it = 0; it < 64; it++) {
      w = dist.map((d) => Math.exp(-beta * (d - dmin)));
      sum = w.reduce((a, b) => a + b);
      const entropy = Math.log(sum) + (beta * w.reduce((a, wa, m) => a + wa * (dist[m] - dmin), 0)) / sum;
      if (Math.abs(entropy - target) < 1e-5) break;
      if (entropy > target) [lo, beta] = [beta, hi === Infinity ? beta * 2 : (beta + hi) / 2];
      else [hi, beta] = [beta, (beta + lo) / 2];
    }
    nb.forEach((j, m) => (cond[i * n + j] = w[m] / sum));
  }
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = (cond[i * n + j] + cond[j * n + i]) / (2 * n);
  return p;
}

describe('dosnes', () => {
  it('keeps points on the sphere, separates planted clusters, and repeats exactly', () => {
    const [n, dim] = [200, 32];
    const { x, init } = planted(n, dim);
    const y = dosnes(x, n, dim, init);
    for (let i = 0; i < n; i++)
      assert.ok(Math.abs(Math.hypot(y[3 * i], y[3 * i + 1], y[3 * i + 2]) - 1) < 1e-6, 'float32 unit rows');
    const { intra, inter } = separation(y, n);
    assert.ok(intra < 0.5 * inter, `intra ${intra} vs inter ${inter}`);
    assert.deepEqual(dosnes(x, n, dim, init), y);
  });
  it('lays out 2,000 points and still separates planted clusters', () => {
    const [n, dim] = [2000, 64];
    const { x, init } = planted(n, dim);
    const { intra, inter } = separation(dosnes(x, n, dim, init), n);
    assert.ok(intra < 0.5 * inter, `intra ${intra} vs inter ${inter}`);
  });

  it('reports increasing progress up to 1, and stops with CancelledError once cancelled', () => {
    const [n, dim] = [200, 32];
    const { x, init } = planted(n, dim);
    const seen: number[] = [];
    dosnes(x, n, dim, init, { progress: (f) => seen.push(f) });
    assert.ok(seen.length > 10, `${seen.length} progress calls`);
    seen.slice(1).forEach((f, a) => assert.ok(f > seen[a], `progress ${seen[a]} then ${f}`));
    assert.equal(seen.at(-1), 1);
    for (const cancelAt of [seen[0], 0.5]) {
      let cancelled = false;
      const token: CancelToken = {
        get isCancellationRequested() {
          return cancelled;
        },
      };
      const after: number[] = [];
      const progress = (f: number): void => {
        after.push(f);
        cancelled ||= f >= cancelAt;
      };
      assert.throws(() => dosnes(x, n, dim, init, { token, progress }), CancelledError);
      assert.ok(
        after.at(-1)! < 1 && after.filter((f) => f >= cancelAt).length === 1,
        `went on after the cancel: ${after.join(' ')}`,
      );
    }
  });

  it('sums repulsion exactly with theta = 0 and within a few percent with theta = 0.5', () => {
    const n = 300;
    const kappa = n / 4;
    const y = unitRows(mulberry32(5), n, 3);
    // Coincident points, which no split separates.
    for (let i = 1; i <= 5; i++) y.copyWithin(3 * i, 0, 3);
    const exact = exactRepulsion(y, n, kappa);
    const tree = new RepulsionTree(n);
    tree.build(y);
    const force = new Float64Array(3 * n);
    const errors = (theta: number): { z: number; rms: number } => {
      const z = tree.repulsion(kappa, theta, force);
      let [num, den] = [0, 0];
      for (let o = 0; o < 3 * n; o++) {
        num += (force[o] / z - exact.force[o] / exact.z) ** 2;
        den += (exact.force[o] / exact.z) ** 2;
      }
      return { z: Math.abs(z - exact.z) / exact.z, rms: Math.sqrt(num / den) };
    };
    const sums = errors(0);
    assert.ok(sums.z < 1e-9 && sums.rms < 1e-9, `theta 0: Z ${sums.z}, force ${sums.rms}`);
    const bh = errors(0.5);
    // Above 1e-6 shows cells were summarised at all.
    assert.ok(bh.z < 0.02 && bh.rms < 0.05 && bh.rms > 1e-6, `theta 0.5: Z ${bh.z}, force ${bh.rms}`);
  });

  it('keeps sparse affinities symmetric, summing to 1, and equal to the dense ones', () => {
    const [n, dim, perp] = [80, 16, 5];
    const k = 3 * perp;
    const x = Float32Array.from(unitRows(mulberry32(9), n, dim));
    const { rowStart, cols, p } = sparseAffinities(x, n, dim, perp);
    const dense = denseAffinities(x, n, dim, perp);
    const at = (i: number, j: number): number => {
      for (let s = rowStart[i]; s < rowStart[i + 1]; s++) if (cols[s] === j) return p[s];
      return 0;
    };
    let total = 0;
    for (let i = 0; i < n; i++) {
      // k of its own, and those whose neighbour it is; only a hub has more than 2k.
      const m = rowStart[i + 1] - rowStart[i];
      assert.ok(m >= k && m < n, `row ${i} has ${m} entries`);
      for (let s = rowStart[i]; s < rowStart[i + 1]; s++) {
        assert.ok(cols[s] !== i && (s === rowStart[i] || cols[s] > cols[s - 1]), `row ${i} columns`);
        assert.equal(at(cols[s], i), p[s]);
        total += p[s];
      }
      for (let j = 0; j < n; j++)
        assert.ok(
          Math.abs(at(i, j) - dense[i * n + j]) <= 1e-5 * dense[i * n + j] + 1e-9,
          `P ${i} ${j}: ${at(i, j)} vs ${dense[i * n + j]}`,
        );
    }
    assert.ok(rowStart[n] <= 2 * n * k);
    assert.ok(Math.abs(total - 1) < 1e-12, `sum ${total}`);
  });
});
