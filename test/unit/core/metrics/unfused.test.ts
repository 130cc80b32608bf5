import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyze } from '../../../../src/core/metrics/analyze';
import { analyzeUnfused } from '../../../../src/core/metrics/unfused';
import { randomCheckpoint } from '../../../helpers/randomCheckpoint';

describe('analyzeUnfused (the benchmark baseline)', () => {
  before(async () => {
    await initBackend('wasm');
  });

  const cases = {
    'one caption per image': Array.from({ length: 40 }, () => 1),
    'irregular multi-caption': Array.from({ length: 17 }, (_, i) => 1 + (i % 3)),
  };
  for (const [name, captions] of Object.entries(cases)) {
    it(`agrees with analyze() (${name})`, async () => {
      const ckpt = randomCheckpoint(21, 16, captions);
      const before = tf.memory().numTensors;
      const unfused = await analyzeUnfused(ckpt, { ks: [2] });
      assert.equal(tf.memory().numTensors, before);
      const { result } = await analyze(ckpt, { ks: [2] });
      assert.deepEqual(Object.keys(unfused), Object.keys(result));
      for (const [key, value] of Object.entries(result)) {
        if (typeof value === 'number') {
          // float32 sums of N^2 exponentials vs float64: agreement to float32 resolution.
          assert.ok(Math.abs((unfused[key as keyof typeof unfused] as number) - value) <= 1e-4, key);
        }
      }
      assert.deepEqual(unfused.i2t, result.i2t);
      assert.deepEqual(unfused.t2i, result.t2i);
      assert.deepEqual(unfused.input_norms, result.input_norms);
    });
  }
});
