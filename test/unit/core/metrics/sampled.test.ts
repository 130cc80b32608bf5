import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFiles, defaultSamplePairs } from '../../../../src/core/analysis/analyzeFiles';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { SharedCancelToken } from '../../../../src/core/util/cancel';
import { CancelledError } from '../../../../src/core/util/errors';
import { analyze } from '../../../../src/core/metrics/analyze';
import { sampledUniformity } from '../../../../src/core/metrics/sampled';
import { mulberry32 } from '../../../../src/core/util/random';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { writeNpz } from '../../../../src/core/writers';

const estimatedKeys = ['uniformity', 'uniformity_image', 'uniformity_text', 'ece', 'ece_t2i'] as const;

describe('sampled mode', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('estimates uniformity and ECE within 4 standard errors, tighter with more pairs; the rest stays exact', async () => {
    const ckpt = generateSample({ pairs: 4000, dim: 32, seed: 11 });
    const exact = (await analyze(ckpt)).result;
    assert.equal(exact.estimates, undefined);
    const errors: Record<string, number[]> = {};
    for (const pairs of [400, 3000]) {
      const { result, detail } = await analyze(ckpt, { samplePairs: pairs, sampleSeed: 5 });
      for (const key of estimatedKeys) {
        const e = result.estimates?.[key];
        assert.ok(e && e.standard_error > 0, `${key} has a standard error`);
        assert.equal(e.sample_pairs, pairs);
        assert.ok(
          Math.abs(result[key] - exact[key]) <= 4 * e.standard_error,
          `${key} at ${pairs}: ${result[key]} vs ${exact[key]} (SE ${e.standard_error})`,
        );
        (errors[key] ??= []).push(e.standard_error);
      }
      assert.equal(
        detail.reliability.reduce((s, b) => s + b.count, 0),
        pairs,
      );
      for (const key of [
        'alignment',
        'hardest_negative_alignment_i2t',
        'hardest_negative_alignment_t2i',
        'modality_gap',
      ] as const)
        assert.equal(result[key], exact[key], key);
      assert.deepEqual(result.i2t, exact.i2t);
      assert.deepEqual(result.t2i, exact.t2i);
    }
    for (const key of estimatedKeys)
      assert.ok(errors[key][1] < errors[key][0], `${key}: SE ${errors[key].join(' -> ')}`);
  });

  it('is reproducible for a seed', async () => {
    const ckpt = generateSample({ pairs: 600, dim: 16, seed: 12 });
    const [a, b] = [await analyze(ckpt, { samplePairs: 300 }), await analyze(ckpt, { samplePairs: 300 })];
    assert.deepEqual(a.result, b.result);
  });

  it('starts by itself above sampleAbovePairs, and on request', async () => {
    const ckpt = generateSample({ pairs: 150, dim: 16, seed: 13 });
    const file = join(mkdtempSync(join(tmpdir(), 'el-sampled-')), 'pairs.npz');
    await writeNpz(file, {
      image: { shape: [150, 16], data: ckpt.image.data },
      text: { shape: [150, 16], data: ckpt.text.data },
    });
    const settings = { uniformityT: 2, ks: [1, 5, 10], eceTau: 0.01, memoryBudgetMB: 64, imageKeys: [], textKeys: [] };
    const run = async (more: { sampleAbovePairs?: number; samplePairs?: number }) =>
      (await analyzeFiles([file], { ...settings, ...more })).result.estimates;
    assert.equal(await run({ sampleAbovePairs: 150 }), undefined);
    assert.equal((await run({ sampleAbovePairs: 149 }))?.uniformity.sample_pairs, defaultSamplePairs);
    // ECE cannot sample more queries than there are; with all of them it is the set's own, exact.
    assert.deepEqual((await run({ sampleAbovePairs: 149 }))?.ece, { sample_pairs: 150, standard_error: 0 });
    assert.equal((await run({ samplePairs: 90 }))?.ece_t2i.sample_pairs, 90);
  });

  it('a sample of at least every point pair costs no more than every pair once, and is exact', async () => {
    const ckpt = generateSample({ pairs: 60, dim: 8, seed: 14 });
    const exact = (await analyze(ckpt)).result;
    const { result } = await analyze(ckpt, { samplePairs: 120 * 119 });
    for (const key of ['uniformity', 'uniformity_image', 'uniformity_text'] as const) {
      assert.ok(Math.abs(result[key] - exact[key]) < 1e-5, `${key}: ${result[key]} vs ${exact[key]}`);
      assert.equal(result.estimates?.[key].standard_error, 0);
    }
    // Point pairs reported as those that exist, not as many as were asked for.
    assert.deepEqual(
      [result.estimates?.uniformity.sample_pairs, result.estimates?.uniformity_image.sample_pairs],
      [(120 * 119) / 2, (60 * 59) / 2],
    );

    const m = 30;
    let looked = 0;
    const point = (i: number): [Float32Array, number] => {
      looked++;
      return [ckpt.image.data, i * 8];
    };
    await sampledUniformity(m, point, 8, 2, 1_000_000, mulberry32(1));
    assert.equal(looked, m * (m - 1));
  });

  it('a cancel stops the sampling, exact or drawn, within one check of 65,536 pairs', async () => {
    const ckpt = generateSample({ pairs: 2000, dim: 8, seed: 15 });
    for (const pairs of [5_000_000, 2 ** 31 - 1]) {
      const token = new SharedCancelToken();
      let looked = 0;
      const point = (i: number): [Float32Array, number] => {
        if (++looked === 200_000) token.cancel();
        return [ckpt.image.data, i * 8];
      };
      await assert.rejects(sampledUniformity(2000, point, 8, 2, pairs, mulberry32(1), token), CancelledError);
      assert.ok(looked < 200_000 + 2 * (1 << 17), `${looked} points looked at`);
    }
  });
});
