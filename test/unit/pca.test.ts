import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import type { Matrix } from '../../src/core/checkpoint';
import { pca } from '../../src/core/projection/pca';
import { gaussian, mulberry32 } from '../../src/core/random';

/** Isotropic noise plus `scales[c]` times a Gaussian along each planted unit direction; returns both. */
function planted(rows: number, dim: number, scales: number[], seed: number): { points: Matrix; directions: Float64Array[] } {
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
});
