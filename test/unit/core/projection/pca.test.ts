import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import type { Matrix } from '../../../../src/core/readers/checkpoint';
import { pca } from '../../../../src/core/projection/pca';
import { orthonormalizeRows, symmetricEigen } from '../../../../src/core/projection/symmetricEigen';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';

/** Isotropic noise plus `scales[c]` times a Gaussian along each planted unit direction; returns both. */
function planted(
  rows: number,
  dim: number,
  scales: number[],
  seed: number,
): { points: Matrix; directions: Float64Array[] } {
  const rng = mulberry32(seed);
  const directions = scales.map(() => {
    const v = Float64Array.from({ length: dim }, () => gaussian(rng));
    const n = Math.hypot(...v);
    return v.map((e) => e / n);
  });
  // Make the second direction orthogonal to the first, so both are principal axes.
  if (directions.length > 1) {
    const p = directions[1].reduce((s, e, d) => s + e * directions[0][d], 0);
    directions[1] = directions[1].map((e, d) => e - p * directions[0][d]);
    const n = Math.hypot(...directions[1]);
    directions[1] = directions[1].map((e) => e / n);
  }
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dim; d++) data[r * dim + d] = 5 + gaussian(rng) * 0.1; // offset: PCA must centre
    scales.forEach((s, c) => {
      const g = gaussian(rng) * s;
      for (let d = 0; d < dim; d++) data[r * dim + d] += g * directions[c][d];
    });
  }
  return { points: { rows, cols: dim, data }, directions };
}

describe('pca', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('recovers planted directions in order, with decreasing explained fractions in [0, 1]', async () => {
    const dim = 20;
    const { points, directions } = planted(3000, dim, [3, 1.5], 11);
    const tensors = tf.memory().numTensors;
    const { components, projected, explained } = await pca(points, 3);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(components.length, 3 * dim);
    assert.equal(projected.length, 3 * 3000);
    for (let c = 0; c < 2; c++) {
      const cos = directions[c].reduce((s, e, d) => s + e * components[c * dim + d], 0);
      assert.ok(Math.abs(cos) > 0.999, `component ${c}: |cos| = ${Math.abs(cos)}`);
    }
    for (const e of explained) assert.ok(e >= 0 && e <= 1);
    for (let c = 1; c < explained.length; c++) assert.ok(explained[c] < explained[c - 1]);
    // Variance 9 and 2.25 along the planted axes against 0.01 per dimension of noise.
    const total = 9 + 2.25 + dim * 0.01;
    assert.ok(Math.abs(explained[0] - 9 / total) < 0.05, String(explained[0]));
  });

  it('projects centred points onto unit components', async () => {
    const dim = 6;
    const { points } = planted(500, dim, [2], 12);
    const { components, projected } = await pca(points, 2);
    for (let c = 0; c < 2; c++) {
      const norm = Math.hypot(...components.subarray(c * dim, (c + 1) * dim));
      assert.ok(Math.abs(norm - 1) < 1e-6);
      let mean = 0;
      for (let r = 0; r < 500; r++) mean += projected[r * 2 + c] / 500;
      assert.ok(Math.abs(mean) < 1e-4, `mean of coordinate ${c}: ${mean}`);
    }
    const dotc = components.subarray(0, dim).reduce((s, e, d) => s + e * components[dim + d], 0);
    assert.ok(Math.abs(dotc) < 1e-6, `components not orthogonal: ${dotc}`);
  });

  it('is deterministic', async () => {
    const { points } = planted(200, 5, [1], 13);
    assert.deepEqual(await pca(points, 2), await pca(points, 2));
  });

  it('agrees with the exact eigendecomposition of the covariance', async () => {
    const dim = 40;
    const rows = 2000;
    const rng = mulberry32(21);
    // A decaying spectrum on random axes: gaps of about 20% between neighbours, as in real embeddings.
    const axes = Float64Array.from({ length: dim * dim }, () => gaussian(rng));
    orthonormalizeRows(axes, dim, dim, rng);
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++)
      for (let a = 0; a < dim; a++) {
        const g = gaussian(rng) * 0.8 ** a;
        for (let d = 0; d < dim; d++) data[r * dim + d] += g * axes[a * dim + d];
      }
    const mean = new Float64Array(dim);
    for (let r = 0; r < rows; r++) for (let d = 0; d < dim; d++) mean[d] += data[r * dim + d] / rows;
    const cov = new Float64Array(dim * dim);
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < dim; i++)
        for (let j = 0; j < dim; j++)
          cov[i * dim + j] += ((data[r * dim + i] - mean[i]) * (data[r * dim + j] - mean[j])) / rows;
    let trace = 0;
    for (let d = 0; d < dim; d++) trace += cov[d * dim + d];
    const exact = symmetricEigen(cov, dim);
    const { components, explained } = await pca({ rows, cols: dim, data }, 3);
    for (let c = 0; c < 3; c++) {
      const cos = exact.vectors
        .subarray(c * dim, (c + 1) * dim)
        .reduce((s, e, d) => s + e * components[c * dim + d], 0);
      assert.ok(Math.abs(cos) > 1 - 1e-6, `component ${c}: |cos| = ${Math.abs(cos)}`);
      assert.ok(
        Math.abs(explained[c] - exact.values[c] / trace) < 1e-5,
        `explained ${c}: ${explained[c]} vs ${exact.values[c] / trace}`,
      );
    }
  });

  it('gives the same axes and coordinates when its rows are split into small blocks', async () => {
    const dim = 12;
    const { points } = planted(500, dim, [2, 1], 14);
    // Two axes: a third would lie among the noise's equal eigenvalues, where rounding picks the axis.
    const whole = await pca(points, 2);
    const blocked = await pca(points, 2, { maxBindingBytes: 3 * dim * 4 }); // blocks of 3 rows
    for (let e = 0; e < whole.components.length; e++)
      assert.ok(Math.abs(whole.components[e] - blocked.components[e]) < 1e-5, `component entry ${e}`);
    for (let e = 0; e < whole.projected.length; e++)
      assert.ok(Math.abs(whole.projected[e] - blocked.projected[e]) < 1e-4, `coordinate ${e}`);
  });

  it('gives orthonormal axes with about equal shares for nearly isotropic points', async () => {
    const dim = 64;
    const rng = mulberry32(15);
    const data = Float32Array.from({ length: 2000 * dim }, () => gaussian(rng));
    const { components, explained } = await pca({ rows: 2000, cols: dim, data }, 3);
    for (let a = 0; a < 3; a++)
      for (let b = 0; b <= a; b++) {
        const dot = components.subarray(a * dim, (a + 1) * dim).reduce((s, e, d) => s + e * components[b * dim + d], 0);
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `axes ${a}, ${b}: ${dot}`);
      }
    // The top eigenvalues of a 2000 x 64 Gaussian cloud sit about 1.4 / 64 of the variance each.
    for (const e of explained) assert.ok(e > 1 / dim && e < 2 / dim, String(e));
  });

  it('pads with zero axes when the points have fewer dimensions than axes asked for', async () => {
    const { points } = planted(100, 2, [1], 16);
    const { components, projected, explained } = await pca(points, 3);
    assert.deepEqual(Array.from(components.subarray(4)), [0, 0]);
    assert.equal(explained[2], 0);
    assert.ok(Math.abs(explained[0] + explained[1] - 1) < 1e-6, 'two axes hold all the variance of 2D points');
    for (let r = 0; r < 100; r++) assert.equal(projected[r * 3 + 2], 0);
  });

  it('gives unit axes and no variance for identical points', async () => {
    const data = new Float32Array(50 * 4).fill(0.5);
    const { components, explained, projected } = await pca({ rows: 50, cols: 4, data }, 3);
    assert.deepEqual(explained, [0, 0, 0]);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(Math.hypot(...components.subarray(c * 4, c * 4 + 4)) - 1) < 1e-6);
    assert.ok(projected.every((p) => p === 0));
  });
});

describe('symmetricEigen', () => {
  it('diagonalises a matrix with a repeated eigenvalue, largest first', () => {
    const n = 4;
    const rng = mulberry32(17);
    const q = Float64Array.from({ length: n * n }, () => gaussian(rng));
    orthonormalizeRows(q, n, n, rng);
    const spectrum = [1, 3, 0, 1];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += q[k * n + i] * spectrum[k] * q[k * n + j];
    const { values, vectors } = symmetricEigen(a, n);
    values.forEach((v, i) => assert.ok(Math.abs(v - [3, 1, 1, 0][i]) < 1e-12, `value ${i}: ${v}`));
    for (let i = 0; i < n; i++) {
      const v = vectors.subarray(i * n, (i + 1) * n);
      for (let r = 0; r < n; r++) {
        const av = v.reduce((s, e, c) => s + a[r * n + c] * e, 0);
        assert.ok(Math.abs(av - values[i] * v[r]) < 1e-12, `A v = λ v for vector ${i}`);
      }
    }
  });
});

describe('orthonormalizeRows', () => {
  it('replaces a row in the span of those before it with a new orthogonal direction', () => {
    const dim = 3;
    const rows = Float64Array.from([1, 0, 0, 2, 0, 0, 0, 1, 1]);
    orthonormalizeRows(rows, 3, dim, mulberry32(18));
    for (let a = 0; a < 3; a++)
      for (let b = 0; b <= a; b++) {
        const dot = rows.subarray(a * dim, (a + 1) * dim).reduce((s, e, d) => s + e * rows[b * dim + d], 0);
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12, `rows ${a}, ${b}: ${dot}`);
      }
    assert.deepEqual(Array.from(rows.subarray(0, 3)), [1, 0, 0], 'the first row only scaled');
  });
});
