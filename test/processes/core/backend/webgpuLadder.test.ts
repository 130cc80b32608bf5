import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyze } from '../../../../src/core/metrics/analyze';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { webGpuState } from '../../../../src/core/backend/webgpuRung';
import { noWebGpuAdapter } from '../../../helpers/webgpu';
import { compiledSource } from '../../../helpers/repoRoot';

// One process, in order: the backend choice is process-wide, and a destroyed device stays lost.

it('auto takes webgpu only on a hardware adapter, and says which adapter', async (t) => {
  const skip = await noWebGpuAdapter();
  if (skip) return t.skip(skip);
  const auto = await initBackend('auto');
  const forced = await initBackend('webgpu');
  assert.equal(forced.name, 'webgpu');
  assert.ok(forced.detail && forced.detail.length > 3, `detail: ${forced.detail}`);
  if (webGpuState()!.software) {
    assert.notEqual(auto.name, 'webgpu');
    assert.ok(
      auto.skipped.some((s) => s.startsWith('webgpu: only a software adapter')),
      auto.skipped.join('; '),
    );
  } else if (auto.name !== 'tfjs-node-gpu') assert.equal(auto.name, 'webgpu');
});

it('a lost device fails the job in one line that says to rerun, and auto then skips webgpu', async (t) => {
  const skip = await noWebGpuAdapter();
  if (skip) return t.skip(skip);
  await initBackend('webgpu');
  webGpuState()!.device.destroy();
  await new Promise((r) => setTimeout(r, 50)); // device.lost resolves on a later tick
  await assert.rejects(analyze(generateSample({ pairs: 64, dim: 16, seed: 2 })), (err: Error) => {
    assert.match(err.message, /^the GPU device was lost \(.*\); rerun the analysis/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  const next = await initBackend('auto');
  assert.notEqual(next.name, 'webgpu');
  assert.equal(tf.getBackend(), next.name === 'wasm' || next.name === 'cpu' ? next.name : 'tensorflow');
  assert.ok(
    next.skipped.some((s) => s.startsWith('webgpu: the GPU device was lost')),
    next.skipped.join('; '),
  );
});

it('without a Vulkan driver the ladder goes on to the next rung with the reason', () => {
  // A child process: Dawn reads the Vulkan driver list once, at its first adapter request.
  const backend = compiledSource('core', 'backend', 'backendLadder.js');
  const code = `require(${JSON.stringify(backend)}).initBackend('auto').then((c) => console.log(JSON.stringify(c)))`;
  const none = '/nonexistent/icd.json';
  const run = spawnSync(process.execPath, ['-e', code], {
    env: { ...process.env, VK_DRIVER_FILES: none, VK_ICD_FILENAMES: none },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const choice = JSON.parse(run.stdout.trim().split('\n').pop()!) as { name: string; skipped: string[] };
  assert.notEqual(choice.name, 'webgpu');
  assert.ok(
    choice.skipped.includes('webgpu: Dawn found no WebGPU adapter (no Vulkan loader or driver?)'),
    choice.skipped.join('; '),
  );
});
