/**
 * The batch check run before training: its footprint model against a step measured at the batch
 * itself, and the refusals on wasm (heap) and webgpu (binding limit, for tensors of rows), before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { InputError } from '../../../../src/core/util/errors';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { checkBatchFits, fitLogitBlocks, footprintModel, headsFootprint } from '../../../../src/core/train/batchFit';
import { parseConfig } from '../../../../src/core/train/config';
import { withScratchStep } from '../../../../src/core/train/scratchStep';
import type { StepSettings } from '../../../../src/core/train/step';
import { train } from '../../../../src/core/train/trainer';
import { bindingLimit } from '../../../../src/core/backend/webgpuRung';
import { writeSafetensors } from '../../../../src/core/writers';
import { noWebGpuAdapter, withScopeAnswer } from '../../../helpers/webgpu';

const dims = { image: 48, text: 40, joint: 32 };
const settings: StepSettings = {
  tau: 0.01,
  tauM: 0.07,
  beta: 0.5,
  weights: { m2mix: 0.1, vmix: 0.05, lmix: 0.05, vlmix: 0.05 },
  lr: 1e-4,
  weightDecay: 0.2,
};
const dir = mkdtempSync(path.join(tmpdir(), 'el-batchfit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A real step at `b`: its peak bytes and its largest kernel output. */
function measured(b: number, d = dims): Promise<{ peakBytes: number; largestTensorBytes: number }> {
  return withScratchStep(b, d, settings, async (step) => {
    const before = tf.memory().numBytes;
    const info = await tf.profile(async () => void (await step()));
    const largest = Math.max(
      ...info.kernels.flatMap((k) => k.outputShapes.map((s) => 4 * s.reduce((n: number, d) => n * (d ?? 1), 1))),
    );
    return { peakBytes: info.peakBytes - before, largestTensorBytes: largest };
  });
}

describe('batch check', () => {
  it('models a step from probes at batches 128 to 384: the largest tensor exactly, the peak within one largest tensor above (wasm)', async () => {
    await initBackend('wasm');
    // At D 256 the probes peak in the heads and batch 2,048 in the cross-entropies.
    for (const [d, b] of [
      [48, 1000],
      [256, 2048],
    ] as const) {
      const wide = d === 48 ? dims : { image: d, text: d, joint: d };
      const want = await measured(b, wide);
      const got = (await footprintModel(wide, settings))(b);
      assert.equal(Math.round(got.largestTensorBytes), want.largestTensorBytes, `D ${d}`);
      assert.ok(
        got.peakBytes >= want.peakBytes && got.peakBytes <= want.peakBytes + got.largestTensorBytes + 1,
        `D ${d}: estimated ${got.peakBytes}, measured ${want.peakBytes}`,
      );
    }
  });

  it("bounds the heads' share of a step: a small batch at D 1,024 holds most of it, never more", async () => {
    await initBackend('wasm');
    const wide = { image: 1024, text: 1024, joint: 1024 };
    const step = await measured(16, wide);
    assert.ok(
      step.peakBytes <= headsFootprint(wide) && step.peakBytes > 0.75 * headsFootprint(wide),
      `measured ${step.peakBytes}, bound ${headsFootprint(wide)}`,
    );
  });

  it('refuses heads too large for any batch before a probe step could sink the heap (wasm)', async () => {
    await initBackend('wasm');
    const huge = { image: 12000, text: 12000, joint: 12000 };
    await assert.rejects(
      checkBatchFits(16, huge, settings, 'run'),
      /^InputError: run: heads of 12000 and 12000 x 12000 need about [\d,]+ MiB .*; use a smaller jointDim$/,
    );
  });

  it('refuses a batch over the wasm heap before the run writes anything, naming the largest that fits', async () => {
    await initBackend('wasm');
    const s = generateSample({ pairs: 8192, dim: 16, seed: 1 });
    await writeSafetensors(path.join(dir, 'big.safetensors'), {
      image_embeds: { shape: [s.image.rows, 16], dtype: 'F32', data: s.image.data },
      text_embeds: { shape: [s.text.rows, 16], dtype: 'F32', data: s.text.data },
    });
    const config = parseConfig(
      {
        train: 'big.safetensors',
        eval: 'big.safetensors',
        out: 'runs',
        name: 'big',
        loss: 'm3mix',
        epochs: 1,
        batchSize: 8192,
      },
      'test',
      { baseDir: dir, defaultName: 'run' },
    );
    await assert.rejects(train(config), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(
        e.message,
        /runs[/\\]big: batchSize 8192 does not fit the wasm backend: a step would hold about [\d,]+ MiB .*use batchSize (\d+) or less$/,
      );
      const fits = Number(/use batchSize (\d+)/.exec(e.message)![1]);
      assert.ok(fits >= 2048 && fits < 8192, `suggests ${fits}`);
      return true;
    });
    assert.ok(!existsSync(path.join(dir, 'runs', 'big')), 'a refused run leaves no folder');
  });

  it('on webgpu passes a batch whose logits pass the binding limit (they run in blocks), and refuses one whose rows do', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    // Four stacked B x B float32 logits would be the largest tensor of an m3-Mix step.
    await checkBatchFits(Math.ceil(Math.sqrt(bindingLimit() / 16) / 64) * 64 + 64, dims, settings, 'run');
    // The five mixes' B x D rows, one tensor, are the largest of the rest.
    const over = Math.ceil(bindingLimit() / (4 * 5 * dims.joint) / 64) * 64 + 64;
    const refused =
      /^InputError: run: batchSize \d+ does not fit this GPU: a step's largest tensor of rows would be [\d,]+ MiB, over the adapter's binding limit of [\d,]+ MiB; use batchSize (\d+) or less, or another backend$/;
    await assert.rejects(checkBatchFits(over, dims, settings, 'run'), (e: unknown) => {
      assert.match(String(e), refused);
      const fits = Number(refused.exec(String(e))![1]);
      assert.ok(
        20 * dims.joint * fits <= bindingLimit() && fits > over - 256,
        `suggests ${fits} for a limit of ${bindingLimit()}`,
      );
      return true;
    });
    // A head over the limit: refused before any probe step allocates it.
    const wide = Math.floor(bindingLimit() / (4 * 64)) + 1;
    await assert.rejects(
      checkBatchFits(16, { image: wide, text: 64, joint: 64 }, settings, 'run'),
      /^InputError: run: a head of \d+ x 64 is [\d,]+ MiB, over this GPU's binding limit .*; use a smaller jointDim, or another backend$/,
    );
  });

  it('on webgpu, a step that runs out of GPU memory is tried again with blocks of half the rows, and the run is told', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    assert.deepEqual(await fitLogitBlocks(64, dims, settings, 'run'), { notes: [] });
    let failures = 1;
    const oom = () => (failures-- > 0 ? ({ message: 'Out of memory (injected by the test)' } as GPUError) : null);
    const fit = await withScopeAnswer('out-of-memory', oom, () => fitLogitBlocks(64, dims, settings, 'run'));
    assert.deepEqual(fit, {
      logitBytes: 4 * 4 * 64 * 32,
      notes: [
        'the GPU ran out of memory in a step at batch 64 with its logits in blocks of 64 rows; the run uses blocks of 32',
      ],
    });
    // Out of memory whatever the blocks: refused, naming the run, after blocks of 1 row.
    await assert.rejects(
      withScopeAnswer(
        'out-of-memory',
        () => ({ message: 'Out of memory (injected)' }) as GPUError,
        () => fitLogitBlocks(64, dims, settings, 'run'),
      ),
      /^InputError: run: batchSize 64 does not fit this GPU's memory even with its logits in blocks of 1 row \(Out of memory \(injected\)\); use a smaller batchSize$/,
    );
  });
});
