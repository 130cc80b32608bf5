import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';
import { clipLoss, lmixLoss, m2mixLoss, trainingLoss, vlmixLoss, vmixLoss } from '../../../../src/core/train/losses';
import type { LossGrad } from '../../../../src/core/train/termPlan';

// Direct float64 formulas of METRICS.md, written independently of the tfjs code.
type Vec = number[];
const dot = (a: Vec, b: Vec): number => a.reduce((s, v, i) => s + v * b[i], 0);
function mix(a: Vec, b: Vec, lambda: number): Vec {
  // A row mixed with itself (the middle of an odd batch) is the linear limit, whatever its norm.
  const theta = Math.acos(Math.min(1, Math.max(-1, dot(a, b))));
  if (theta < 1e-7) return a.map((v, i) => lambda * v + (1 - lambda) * b[i]);
  const ca = Math.sin(lambda * theta) / Math.sin(theta);
  const cb = Math.sin((1 - lambda) * theta) / Math.sin(theta);
  return a.map((v, i) => ca * v + cb * b[i]);
}
const logSumExp = (row: number[]): number => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};
const transpose = (m: number[][]): number[][] => m[0].map((_, j) => m.map((r) => r[j]));
/** Mean over rows of -sum_j t_ij log softmax(row)_j. */
const softCE = (logits: number[][], targets: number[][]): number =>
  logits.reduce((s, row, i) => s + logSumExp(row) - row.reduce((a, v, j) => a + v * targets[i][j], 0), 0) /
  logits.length;
const eye = (b: number): number[][] =>
  Array.from({ length: b }, (_, i) => Array.from({ length: b }, (_, j) => (i === j ? 1 : 0)));
const rev = (b: number): number[][] =>
  Array.from({ length: b }, (_, i) => Array.from({ length: b }, (_, j) => (j === b - 1 - i ? 1 : 0)));
const logitsOf = (a: Vec[], b: Vec[], tau: number): number[][] => a.map((r) => b.map((c) => dot(r, c) / tau));
const reversed = (x: Vec[]): Vec[] => x.map((_, i) => x[x.length - 1 - i]);

const ref = {
  clip: (x: Vec[], y: Vec[], tau: number) => {
    const s = logitsOf(x, y, tau);
    return (softCE(s, eye(x.length)) + softCE(transpose(s), eye(x.length))) / 2;
  },
  m2mix: (x: Vec[], y: Vec[], lambda: number, tauM: number) => {
    const n = x.map((xi, j) => mix(xi, y[j], lambda));
    const rows = (q: Vec[]) => q.map((qi, i) => n.map((nj, j) => (i === j ? dot(x[i], y[i]) : dot(qi, nj)) / tauM));
    return softCE(rows(x), eye(x.length)) + softCE(rows(y), eye(x.length));
  },
  soft: (a: Vec[], b: Vec[], t: number[][], tau: number) => {
    const s = logitsOf(a, b, tau);
    return (softCE(s, t) + softCE(transpose(s), transpose(t))) / 2;
  },
  target: (b: number, lambda: number) =>
    eye(b).map((r, i) => r.map((v, j) => lambda * v + (1 - lambda) * rev(b)[i][j])),
  vmix: (x: Vec[], y: Vec[], lambda: number, tau: number) =>
    ref.soft(
      x.map((xi, i) => mix(xi, reversed(x)[i], lambda)),
      y,
      ref.target(x.length, lambda),
      tau,
    ),
  lmix: (x: Vec[], y: Vec[], lambda: number, tau: number) =>
    ref.soft(
      x,
      y.map((yi, i) => mix(yi, reversed(y)[i], lambda)),
      ref.target(x.length, lambda),
      tau,
    ),
  vlmix: (x: Vec[], y: Vec[], lambda: number, tau: number) =>
    ref.soft(
      x.map((xi, i) => mix(xi, reversed(x)[i], lambda)),
      y.map((yi, i) => mix(yi, reversed(y)[i], lambda)),
      ref.target(x.length, 0.5),
      tau,
    ),
};

function unitRows(b: number, d: number, seed: number): Vec[] {
  const rng = mulberry32(seed);
  return Array.from({ length: b }, () => {
    const v = Array.from({ length: d }, () => gaussian(rng));
    const n = Math.sqrt(dot(v, v));
    return v.map((e) => e / n);
  });
}

type TfLoss = (x: tf.Tensor2D, y: tf.Tensor2D) => LossGrad;
type RefLoss = (x: Vec[], y: Vec[]) => number;

const lambda = 0.37;
const cases: { name: string; tf: (tau: number) => TfLoss; ref: (tau: number) => RefLoss }[] = [
  { name: 'clip', tf: (t) => (x, y) => clipLoss(x, y, t), ref: (t) => (x, y) => ref.clip(x, y, t) },
  { name: 'm2mix', tf: (t) => (x, y) => m2mixLoss(x, y, lambda, t), ref: (t) => (x, y) => ref.m2mix(x, y, lambda, t) },
  { name: 'vmix', tf: (t) => (x, y) => vmixLoss(x, y, lambda, t), ref: (t) => (x, y) => ref.vmix(x, y, lambda, t) },
  { name: 'lmix', tf: (t) => (x, y) => lmixLoss(x, y, lambda, t), ref: (t) => (x, y) => ref.lmix(x, y, lambda, t) },
  { name: 'vlmix', tf: (t) => (x, y) => vlmixLoss(x, y, lambda, t), ref: (t) => (x, y) => ref.vlmix(x, y, lambda, t) },
];

/** Sizes include an odd batch, where the middle row of V/L/VL-Mix is mixed with itself. */
const shapes: [number, number][] = [
  [4, 3],
  [5, 8],
  [8, 16],
];

describe('losses against float64 formulas', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const c of cases) {
    for (const [b, d] of shapes) {
      for (const tau of [0.07, 0.01]) {
        it(`${c.name} value, B=${b} D=${d} tau=${tau}`, () => {
          const x = unitRows(b, d, 10 * b + d);
          const y = unitRows(b, d, 1000 + 10 * b + d);
          const got = tf.tidy(() => c.tf(tau)(tf.tensor2d(x), tf.tensor2d(y)).loss.dataSync()[0]);
          const want = c.ref(tau)(x, y);
          // float32 logits of size 1/tau carry ~1e-7/tau absolute error each.
          assert.ok(Math.abs(got - want) <= 1e-5 / tau + 1e-5 * Math.abs(want), `${got} vs ${want}`);
        });
      }
    }

    it(`${c.name} gradient matches central finite differences`, () => {
      // Even B: on an odd batch the middle row mixes with itself, where finite differences straddle the clamp.
      const [b, d, tau] = [6, 5, 0.1];
      const x = unitRows(b, d, 7);
      const y = unitRows(b, d, 8);
      const [gx, gy] = tf.tidy(() => {
        const r = c.tf(tau)(tf.tensor2d(x), tf.tensor2d(y));
        return [r.dx.arraySync(), r.dy.arraySync()];
      });
      const h = 1e-6;
      const f = c.ref(tau);
      for (const [which, grad] of [
        ['x', gx],
        ['y', gy],
      ] as const) {
        for (let i = 0; i < b; i++)
          for (let k = 0; k < d; k++) {
            const shift = (delta: number) => {
              const xs = x.map((r) => [...r]);
              const ys = y.map((r) => [...r]);
              (which === 'x' ? xs : ys)[i][k] += delta;
              return f(xs, ys);
            };
            const fd = (shift(h) - shift(-h)) / (2 * h);
            assert.ok(
              Math.abs(grad[i][k] - fd) <= 2e-3 * (1 + Math.abs(fd)),
              `d/d${which}[${i}][${k}]: ${grad[i][k]} vs ${fd}`,
            );
          }
      }
    });
  }

  it("m3mix gradient is the weighted sum of the terms' gradients", () => {
    const x = tf.tensor2d(unitRows(6, 5, 5));
    const y = tf.tensor2d(unitRows(6, 5, 6));
    const lambdas = { m2mix: 0.3, vmix: 0.6, lmix: 0.45, vlmix: 0.8 };
    const weights = { m2mix: 0.2, vmix: 0.1, lmix: 0.3, vlmix: 0.05 };
    const all = trainingLoss(x, y, { tau: 0.05, tauM: 0.07, weights, lambdas });
    const parts = [
      [1, clipLoss(x, y, 0.05)],
      [weights.m2mix, m2mixLoss(x, y, lambdas.m2mix, 0.07)],
      [weights.vmix, vmixLoss(x, y, lambdas.vmix, 0.05)],
      [weights.lmix, lmixLoss(x, y, lambdas.lmix, 0.05)],
      [weights.vlmix, vlmixLoss(x, y, lambdas.vlmix, 0.05)],
    ] as const;
    for (const side of ['dx', 'dy'] as const) {
      const want = parts.reduce((acc, [w, p]) => tf.add(acc, tf.mul(p[side], w)), tf.zerosLike(y));
      assert.ok(tf.max(tf.abs(tf.sub(all[side], want))).dataSync()[0] < 1e-5, side);
    }
  });

  it('m3mix is clip plus each weighted term with its own lambda', () => {
    const x = unitRows(6, 5, 3);
    const y = unitRows(6, 5, 4);
    const lambdas = { m2mix: 0.2, vmix: 0.9, lmix: 0.55, vlmix: 0.1 };
    const weights = { m2mix: 0.1, vmix: 0.3, lmix: 0.05, vlmix: 0.5 };
    const [tau, tauM] = [0.05, 0.07];
    const got = tf.tidy(
      () => trainingLoss(tf.tensor2d(x), tf.tensor2d(y), { tau, tauM, weights, lambdas }).loss.dataSync()[0],
    );
    const want =
      ref.clip(x, y, tau) +
      weights.m2mix * ref.m2mix(x, y, lambdas.m2mix, tauM) +
      weights.vmix * ref.vmix(x, y, lambdas.vmix, tau) +
      weights.lmix * ref.lmix(x, y, lambdas.lmix, tau) +
      weights.vlmix * ref.vlmix(x, y, lambdas.vlmix, tau);
    assert.ok(Math.abs(got - want) < 1e-4 * (1 + want), `${got} vs ${want}`);
  });

  it('m3mix leaves out zero-weighted terms', () => {
    const x = tf.tensor2d(unitRows(4, 3, 1));
    const y = tf.tensor2d(unitRows(4, 3, 2));
    const { loss, terms, values } = trainingLoss(x, y, {
      tau: 0.1,
      tauM: 0.1,
      weights: { m2mix: 0, vmix: 0, lmix: 0, vlmix: 0 },
      lambdas: {},
    });
    assert.deepEqual(terms, ['clip']);
    assert.deepEqual(values.shape, [2]);
    assert.equal(loss.dataSync()[0], clipLoss(x, y, 0.1).loss.dataSync()[0]);
  });
});
