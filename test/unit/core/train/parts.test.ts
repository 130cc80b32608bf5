import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';
import { adamEps, adamwStep, createAdamState } from '../../../../src/core/train/adamw';
import { sampleBeta, sampleGamma } from '../../../../src/core/train/betaSample';
import { headPass, initialWeights, normalizeTensorRows } from '../../../../src/core/train/heads';
import { geodesicMix } from '../../../../src/core/train/mixup';
import { cosineWithWarmup } from '../../../../src/core/train/schedule';

function unitRows(b: number, d: number, seed: number): number[][] {
  const rng = mulberry32(seed);
  return Array.from({ length: b }, () => {
    const v = Array.from({ length: d }, () => gaussian(rng));
    const n = Math.hypot(...v);
    return v.map((e) => e / n);
  });
}
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor | number[][]): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const norms = (t: tf.Tensor2D): Float32Array => tf.tidy(() => tf.norm(t, 'euclidean', 1).dataSync() as Float32Array);

describe('geodesic mixup', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('gives a at lambda = 1 and b at lambda = 0', () => {
    const a = tf.tensor2d(unitRows(6, 9, 1));
    const b = tf.tensor2d(unitRows(6, 9, 2));
    assert.ok(maxAbsDiff(geodesicMix(a, b, 1).mixed, a) < 1e-6);
    assert.ok(maxAbsDiff(geodesicMix(a, b, 0).mixed, b) < 1e-6);
  });

  it('stays on the sphere', () => {
    const m = geodesicMix(tf.tensor2d(unitRows(8, 12, 3)), tf.tensor2d(unitRows(8, 12, 4)), 0.3).mixed;
    for (const n of norms(m)) assert.ok(Math.abs(n - 1) < 1e-5, String(n));
  });

  it('is finite, with finite gradients, as theta -> 0 and theta -> pi', () => {
    const a = unitRows(4, 6, 5);
    const same = a.map((r) => [...r]);
    const near = tf
      .tidy(() => normalizeTensorRows(tf.add(tf.tensor2d(a), tf.mul(tf.tensor2d(unitRows(4, 6, 6)), 1e-5))))
      .arraySync();
    const opposite = a.map((r) => r.map((v) => -v));
    const nearOpposite = near.map((r) => r.map((v) => -v));
    for (const b of [same, near, opposite, nearOpposite]) {
      const mix = geodesicMix(tf.tensor2d(a), tf.tensor2d(b), 0.4);
      const [da, db] = mix.backward(tf.onesLike(mix.mixed));
      for (const t of [mix.mixed, da, db]) assert.ok(tf.all(tf.isFinite(t)).dataSync()[0] === 1);
    }
    const mixSame = geodesicMix(tf.tensor2d(a), tf.tensor2d(same), 0.4).mixed;
    assert.ok(maxAbsDiff(mixSame, a) < 1e-6);
    for (const n of norms(geodesicMix(tf.tensor2d(a), tf.tensor2d(near), 0.4).mixed)) assert.ok(Math.abs(n - 1) < 1e-5);
  });
});

describe('Beta(beta, beta) draws', () => {
  it('repeat for a seed and have the Beta mean and variance', () => {
    const draw = (seed: number, beta: number, n: number) => {
      const rng = mulberry32(seed);
      return Array.from({ length: n }, () => sampleBeta(rng, beta, beta));
    };
    assert.deepEqual(draw(7, 0.5, 50), draw(7, 0.5, 50));
    for (const beta of [0.5, 2]) {
      const xs = draw(11, beta, 20000);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
      const want = 1 / (4 * (2 * beta + 1));
      assert.ok(xs.every((x) => x >= 0 && x <= 1));
      assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
      assert.ok(Math.abs(variance - want) < 0.05 * want, `variance ${variance} vs ${want}`);
    }
  });

  it('Gamma(shape) has mean shape, below and above 1', () => {
    const rng = mulberry32(3);
    for (const shape of [0.3, 4]) {
      const n = 20000;
      let s = 0;
      for (let i = 0; i < n; i++) s += sampleGamma(rng, shape);
      assert.ok(Math.abs(s / n - shape) < 0.05 * shape, `${s / n} vs ${shape}`);
    }
  });
});

describe('heads', () => {
  it('are the identity when the dimensions match, so an untrained head returns its unit input', () => {
    const x = unitRows(5, 7, 8);
    const z = headPass(tf.tensor2d(x), tf.tensor2d(initialWeights(7, 7, 1), [7, 7])).z;
    assert.ok(maxAbsDiff(z, x) < 1e-6);
  });

  it('project to the joint dimension with unit outputs, differently per seed', () => {
    const x = tf.tensor2d(unitRows(5, 9, 9));
    const z = headPass(x, tf.tensor2d(initialWeights(9, 4, 1), [9, 4])).z;
    assert.deepEqual(z.shape, [5, 4]);
    for (const n of norms(z)) assert.ok(Math.abs(n - 1) < 1e-5);
    assert.notDeepEqual(initialWeights(9, 4, 1), initialWeights(9, 4, 2));
  });

  it('backward matches central finite differences of sum(c * normalize(x W))', () => {
    const [b, dIn, dOut] = [4, 5, 3];
    const x = unitRows(b, dIn, 10);
    const w = unitRows(dIn, dOut, 11);
    const c = unitRows(b, dOut, 12);
    const f = (wm: number[][]): number =>
      x.reduce((s, row, i) => {
        const p = Array.from({ length: dOut }, (_, k) => row.reduce((a, v, j) => a + v * wm[j][k], 0));
        const n = Math.hypot(...p);
        return s + p.reduce((a, v, k) => a + (v / n) * c[i][k], 0);
      }, 0);
    const grad = headPass(tf.tensor2d(x), tf.tensor2d(w)).backward(tf.tensor2d(c)).arraySync();
    const h = 1e-6;
    for (let j = 0; j < dIn; j++)
      for (let k = 0; k < dOut; k++) {
        const plus = w.map((r) => [...r]);
        const minus = w.map((r) => [...r]);
        plus[j][k] += h;
        minus[j][k] -= h;
        const fd = (f(plus) - f(minus)) / (2 * h);
        assert.ok(Math.abs(grad[j][k] - fd) < 1e-3 * (1 + Math.abs(fd)), `${grad[j][k]} vs ${fd}`);
      }
  });
});

describe('cosine schedule with warm-up', () => {
  it('rises linearly to the base rate, then decays to 0 by the last step', () => {
    const [lr, total, warm] = [0.1, 100, 10];
    assert.equal(cosineWithWarmup(lr, 0, total, warm), lr / warm);
    assert.equal(cosineWithWarmup(lr, warm - 1, total, warm), lr);
    assert.equal(cosineWithWarmup(lr, warm, total, warm), lr);
    const lrs = Array.from({ length: total - warm }, (_, i) => cosineWithWarmup(lr, warm + i, total, warm));
    assert.ok(lrs.every((v, i) => i === 0 || v < lrs[i - 1]));
    assert.ok(cosineWithWarmup(lr, total, total, warm) < 1e-12);
  });
});

describe('AdamW', () => {
  it('takes bias-corrected first steps of size lr plus the decoupled decay', () => {
    const w = tf.variable(tf.tensor1d([1, 2, -0.5]));
    const grads = [0.5, -3, 1e-3];
    const state = createAdamState([w]);
    const [lr, wd] = [0.1, 0.2];
    const before = w.arraySync() as number[];
    adamwStep([w], [tf.tensor1d(grads)], state, lr, wd);
    const after = w.arraySync() as number[];
    before.forEach((v, i) => {
      const want = v - lr * (grads[i] / (Math.abs(grads[i]) + adamEps) + wd * v);
      assert.ok(Math.abs(after[i] - want) < 1e-6, `${after[i]} vs ${want}`);
    });
    assert.equal(state.step, 1);
  });
});
