import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { parseConfig } from '../../../../src/core/train/config';
import type { RunEvent } from '../../../../src/core/train/events';
import { train } from '../../../../src/core/train/trainer';
import { writeSafetensors } from '../../../../src/core/writers';
import { noWebGpuAdapter } from '../../../helpers/webgpu';

const dir = mkdtempSync(path.join(tmpdir(), 'el-webgpu-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The step losses of one m3-Mix epoch of 10 steps (160 pairs, batch 16), seed 5, on `backend`; the run must free its tensors. */
async function stepLosses(backend: 'wasm' | 'webgpu'): Promise<number[]> {
  await initBackend(backend);
  const config = parseConfig(
    {
      train: 'train.safetensors',
      eval: 'train.safetensors',
      out: 'runs',
      name: backend,
      loss: 'm3mix',
      epochs: 1,
      batchSize: 16,
      lr: 1e-2,
      seed: 5,
    },
    'test',
    { baseDir: dir, defaultName: 'run' },
  );
  const losses: number[] = [];
  const tensors = tf.memory().numTensors;
  await train(config, { onEvent: (e: RunEvent) => e.type === 'step' && losses.push(e.loss) });
  // A worker runs job after job on one GPU: a tensor left behind holds its memory for the session.
  assert.equal(tf.memory().numTensors, tensors, `tensors left after the run on ${backend}`);
  return losses;
}

it('m3-Mix training losses on webgpu match wasm for the first 10 steps (same seed)', async (t) => {
  const skip = await noWebGpuAdapter();
  if (skip) return t.skip(skip);
  const s = generateSample({ pairs: 160, dim: 32, seed: 4 });
  await writeSafetensors(path.join(dir, 'train.safetensors'), {
    image_embeds: { shape: [s.image.rows, s.image.cols], dtype: 'F32', data: s.image.data },
    text_embeds: { shape: [s.text.rows, s.text.cols], dtype: 'F32', data: s.text.data },
  });
  const wasm = await stepLosses('wasm');
  const gpu = await stepLosses('webgpu');
  assert.equal(wasm.length, 10);
  assert.equal(gpu.length, 10);
  gpu.forEach((l, i) => assert.ok(Math.abs(l - wasm[i]) < 1e-4, `step ${i + 1}: webgpu ${l}, wasm ${wasm[i]}`));
});
