import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { logGrid, temperatureSweep } from '../../../../src/core/calibration/temperatureSweep';
import { analyze } from '../../../../src/core/metrics/analyze';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';

describe('ECE temperature sweep', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const captionsPerImage of [1, 3]) {
    it(`reproduces analyze()'s ECE at the configured tau (${captionsPerImage} caption(s) per image)`, async () => {
      // 700 texts: two column chunks, so the chunked product is exercised.
      const ckpt = generateSample({ pairs: Math.ceil(700 / captionsPerImage), dim: 64, seed: 5, captionsPerImage });
      const { result } = await analyze(ckpt, { eceTau: 0.01 });
      const sweep = await temperatureSweep(ckpt.image, ckpt.text, ckpt.textToImage, 0.01, 15);
      assert.equal(sweep.queries, ckpt.image.rows, 'small sets use every query');
      const at = sweep.taus.indexOf(0.01);
      assert.ok(at >= 0, 'the configured tau is on the grid');
      assert.ok(Math.abs(sweep.ece[at] - result.ece) <= 1e-9, `${sweep.ece[at]} vs ${result.ece}`);
      // A different tau gives a different ECE, so the equality above is not a constant.
      assert.notEqual(sweep.ece[0], sweep.ece[sweep.ece.length - 1]);
    });
  }

  it('grid: 20 log-spaced temperatures from 0.002 to 0.2', () => {
    const g = logGrid();
    assert.equal(g.length, 20);
    assert.ok(Math.abs(g[0] - 0.002) < 1e-15 && Math.abs(g[19] - 0.2) < 1e-12);
    for (let i = 1; i < 19; i++) assert.ok(Math.abs(g[i] / g[i - 1] - g[i + 1] / g[i]) < 1e-9);
  });
});
