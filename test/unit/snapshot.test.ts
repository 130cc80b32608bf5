import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../src/core/backend';
import { analyze } from '../../src/core/metrics/analyze';
import { generateSample } from '../../src/core/sample';
import { buildSnapshot, maxPairLines } from '../../src/core/snapshot';

describe('buildSnapshot: scatter, sphere and temperature sweep', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('agree with each other and with the analysis', async () => {
    // Above maxPairLines (lines are a sample) and small enough that the sweep uses every query.
    const pairs = 2100;
    const checkpoint = generateSample({ pairs, dim: 48, seed: 3 });
    const { result, detail } = await analyze(checkpoint);
    const s = await buildSnapshot({ checkpoint, result, detail, seconds: 0 }, 'wasm');

    assert.equal(s.scatter.shown, pairs);
    assert.equal(s.scatter.image.length, 2 * pairs);
    // Lines only for a sample, of distinct drawn pairs.
    assert.equal(s.scatter.lines?.length, maxPairLines);
    assert.equal(new Set(s.scatter.lines).size, maxPairLines);
    assert.ok(s.scatter.lines!.every((i) => i >= 0 && i < pairs));

    assert.equal(s.sphere.shown, pairs);
    for (const xyz of [s.sphere.image, s.sphere.text]) {
      for (let i = 0; i < xyz.length; i += 3) assert.ok(Math.abs(Math.hypot(xyz[i], xyz[i + 1], xyz[i + 2]) - 1) < 1e-6);
    }
    const mean = (xyz: number[], c: number) => xyz.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / pairs;
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(s.sphere.gap.from[c] - mean(s.sphere.image, c)) < 1e-9);
      assert.ok(Math.abs(s.sphere.gap.to[c] - mean(s.sphere.text, c)) < 1e-9);
    }
    // Every pair is in the fit sample here, so the scatter (points projected onto the fitted axes)
    // and the sphere (pca()'s own projections) must point the same way in the PC1-PC2 plane.
    let compared = 0;
    for (let i = 0; i < pairs; i++) {
      const [x, y] = [s.scatter.image[2 * i], s.scatter.image[2 * i + 1]];
      if (Math.abs(x) < 0.05 || Math.abs(y) < 0.05) continue; // the 1e-4 rounding would dominate
      const ratio = s.sphere.image[3 * i] / s.sphere.image[3 * i + 1];
      assert.ok(Math.abs(x / y - ratio) < 0.01 * Math.abs(ratio) + 0.01, `pair ${i}: ${x / y} vs ${ratio}`);
      compared++;
    }
    assert.ok(compared > pairs / 4);

    const t = s.temperature;
    assert.ok(Math.abs(t.ece[t.taus.indexOf(result.ece_tau)] - result.ece) <= 1e-9);
  });
});
