/**
 * A GPU device lost in the middle of a training run (its own process: a destroyed device stays
 * lost): the run fails in one line that says so, and the ladder then leaves webgpu out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { DeviceLostError } from '../../../../src/core/util/errors';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { parseConfig } from '../../../../src/core/train/config';
import { train } from '../../../../src/core/train/trainer';
import { webGpuState } from '../../../../src/core/backend/webgpuRung';
import { writeSafetensors } from '../../../../src/core/writers';
import { noWebGpuAdapter } from '../../../helpers/webgpu';

const dir = mkdtempSync(path.join(tmpdir(), 'el-train-lost-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('a device lost mid-run fails the run in one line that says to rerun', async (t) => {
  const skip = await noWebGpuAdapter();
  if (skip) return t.skip(skip);
  const s = generateSample({ pairs: 320, dim: 32, seed: 4 });
  await writeSafetensors(path.join(dir, 'train.safetensors'), {
    image_embeds: { shape: [320, 32], dtype: 'F32', data: s.image.data },
    text_embeds: { shape: [320, 32], dtype: 'F32', data: s.text.data },
  });
  await initBackend('webgpu');
  const config = parseConfig(
    {
      train: 'train.safetensors',
      eval: 'train.safetensors',
      out: 'runs',
      name: 'lost',
      loss: 'm3mix',
      epochs: 2,
      batchSize: 16,
    },
    'test',
    { baseDir: dir, defaultName: 'run' },
  );
  let steps = 0;
  await assert.rejects(
    train(config, { onEvent: (e) => void (e.type === 'step' && ++steps === 3 && webGpuState()!.device.destroy()) }),
    (err: Error) => {
      assert.ok(err instanceof DeviceLostError, 'the worker flags it, so the status bar shows the next rung');
      assert.match(
        err.message,
        /^the GPU device was lost \(.+\); rerun the training: the next backend of the ladder will be used$/,
      );
      return true;
    },
  );
  assert.ok(steps >= 3 && steps < 20, `${steps} steps logged`);
  assert.notEqual((await initBackend('auto')).name, 'webgpu');
});
