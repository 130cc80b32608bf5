import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyze } from '../../../../src/core/metrics/analyze';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { analyzedFromCheckpoint } from '../../../../src/core/analysis/analyzedCheckpoint';
import {
  buildSnapshot,
  layOutDosnes,
  maxArcPairs,
  maxDosnesPairs,
  maxPairLines,
} from '../../../../src/snapshots/analysis/analysisSnapshot';

describe('buildSnapshot: scatter, sphere and temperature sweep', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('agree with each other and with the analysis', async () => {
    // Above maxPairLines (lines are a sample) and small enough that the sweep uses every query.
    const pairs = 2100;
    const checkpoint = generateSample({ pairs, dim: 48, seed: 3 });
    const { result, detail } = await analyze(checkpoint);
    const { snapshot: s, dosnes } = await buildSnapshot(analyzedFromCheckpoint(checkpoint, result, detail), 'wasm');

    assert.equal(s.scatter.shown, pairs);
    assert.equal(s.scatter.image.length, 2 * pairs);
    // Lines only for a sample, of distinct drawn pairs.
    assert.equal(s.scatter.lines?.length, maxPairLines);
    assert.equal(new Set(s.scatter.lines).size, maxPairLines);
    assert.ok(s.scatter.lines!.every((i) => i >= 0 && i < pairs));

    assert.equal(s.sphere.shown, pairs);
    // DOSNES lays out a sample of the pairs on demand, every point still on the sphere.
    assert.equal(s.sphere.dosnes, undefined, 'not laid out until the view asks');
    const d = layOutDosnes(dosnes);
    assert.equal(d.dosnesPairs, maxDosnesPairs);
    assert.equal(d.image.length, 3 * maxDosnesPairs);
    assert.equal(d.text.length, 3 * maxDosnesPairs);
    for (const xyz of [s.sphere.image, s.sphere.text, d.image, d.text]) {
      for (let i = 0; i < xyz.length; i += 3)
        assert.ok(Math.abs(Math.hypot(xyz[i], xyz[i + 1], xyz[i + 2]) - 1) < 1e-6);
    }
    const mean = (xyz: Float32Array, c: number) => xyz.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / pairs;
    // The means are of the unrounded points; the points travel as float32.
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(s.sphere.gap.from[c] - mean(s.sphere.image, c)) < 1e-6);
      assert.ok(Math.abs(s.sphere.gap.to[c] - mean(s.sphere.text, c)) < 1e-6);
    }
    // Every pair is in the fit sample here, so the scatter (points projected onto the fitted axes)
    // and the sphere (pca()'s own projections) must point the same way in the PC1-PC2 plane.
    let compared = 0;
    for (let i = 0; i < pairs; i++) {
      const [x, y] = [s.scatter.image[2 * i], s.scatter.image[2 * i + 1]];
      if (Math.abs(x) < 0.05 || Math.abs(y) < 0.05) continue; // near an axis the ratio magnifies float32 rounding
      const ratio = s.sphere.image[3 * i] / s.sphere.image[3 * i + 1];
      assert.ok(Math.abs(x / y - ratio) < 0.01 * Math.abs(ratio) + 0.01, `pair ${i}: ${x / y} vs ${ratio}`);
      compared++;
    }
    assert.ok(compared > pairs / 4);

    const t = s.temperature;
    assert.ok(Math.abs(t.ece[t.taus.indexOf(result.ece_tau)] - result.ece) <= 1e-9);
    assert.equal(s.sphere.arcs, undefined, 'no run config, no arcs');
  });

  it('draws geodesic arcs from image to text for a run checkpoint, with seeded hard negatives', async () => {
    const pairs = 300;
    const checkpoint = generateSample({ pairs, dim: 16, seed: 5 });
    // What epochEvaluation.ts writes, trimmed to the fields the arcs read.
    checkpoint.metadata = { config: JSON.stringify({ beta: 2, seed: 9 }), metrics: '{}' };
    const { result, detail } = await analyze(checkpoint);
    const { snapshot: s } = await buildSnapshot(analyzedFromCheckpoint(checkpoint, result, detail), 'wasm');
    const arcs = s.sphere.arcs!;
    assert.equal(arcs.beta, 2);
    assert.equal(arcs.seed, 9);
    assert.equal(arcs.arcs.length, maxArcPairs);
    assert.equal(arcs.negatives.length, 3 * maxArcPairs);
    const near = (xyz: number[], at: number, points: Float32Array) => {
      for (let i = 0; i < points.length; i += 3)
        if (Math.hypot(points[i] - xyz[at], points[i + 1] - xyz[at + 1], points[i + 2] - xyz[at + 2]) < 1e-4)
          return i / 3;
      return -1;
    };
    for (const arc of arcs.arcs) {
      for (let i = 0; i < arc.length; i += 3)
        assert.ok(Math.abs(Math.hypot(arc[i], arc[i + 1], arc[i + 2]) - 1) < 1e-9);
      // λ = 1 is the pair's image point and λ = 0 its text point, in the sphere's own coordinates.
      const pair = near(arc, 0, s.sphere.image);
      assert.ok(pair >= 0);
      assert.equal(near(arc, arc.length - 3, s.sphere.text), pair);
    }
    const { snapshot: again } = await buildSnapshot(analyzedFromCheckpoint(checkpoint, result, detail), 'wasm');
    assert.deepEqual(again.sphere.arcs, arcs, 'the seeded lambdas repeat');

    // A checkpoint that records its last step's λ marks every negative there: exactly on the arc's
    // own sample at λ = 0.25 (the arcs are sampled at λ = 1 - s/16).
    checkpoint.metadata = { ...checkpoint.metadata, lambda: JSON.stringify({ m2mix: 0.25 }) };
    const used = (await buildSnapshot(analyzedFromCheckpoint(checkpoint, result, detail), 'wasm')).snapshot.sphere
      .arcs!;
    assert.equal(used.lambda, 0.25);
    used.arcs.forEach((arc, i) => {
      const steps = arc.length / 3;
      const k = Math.round((1 - 0.25) * (steps - 1));
      assert.ok(1 - k / (steps - 1) === 0.25, 'the arc has a sample at λ = 0.25');
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(used.negatives[3 * i + c] - arc[3 * k + c]) < 1e-9);
    });
  });
});
