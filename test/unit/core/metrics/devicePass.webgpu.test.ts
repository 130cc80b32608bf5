import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import type { Checkpoint } from '../../../../src/core/readers/checkpoint';
import { analyze } from '../../../../src/core/metrics/analyze';
import { resolveOptions } from '../../../../src/core/metrics/analyzeOptions';
import { devicePass, planTiles } from '../../../../src/core/metrics/devicePass';
import { metricPassInput } from '../../../../src/core/metrics/passInput';
import { summarize } from '../../../../src/core/metrics/summary';
import type { AnalysisDetail, AnalysisResult, AnalyzeOptions } from '../../../../src/core/metrics/types';
import { readCheckpoint } from '../../../../src/core/readers';
import { buildSnapshot } from '../../../../src/snapshots/analysis/analysisSnapshot';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { continuousKeys } from '../../../helpers/metricKeys';
import { randomCheckpoint } from '../../../helpers/randomCheckpoint';
import { sharedDataDir } from '../../../helpers/sharedData';
import { bindingLimit, releasePooledBuffers } from '../../../../src/core/backend/webgpuRung';
import { pca } from '../../../../src/core/projection/pca';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';
import { noWebGpuAdapter, withScopeAnswer } from '../../../helpers/webgpu';
import { analyzedFromCheckpoint } from '../../../../src/core/analysis/analyzedCheckpoint';

type Run = { result: AnalysisResult; detail: AnalysisDetail };

/** What analyze() does on webgpu, keeping the tiles and notes of the device pass. */
async function analyzeOnDevice(ckpt: Checkpoint, opts: Partial<AnalyzeOptions> = {}) {
  const input = metricPassInput(ckpt, resolveOptions(opts));
  const pass = await devicePass(input);
  return { ...summarize(input, pass), tile: pass.tile, notes: pass.notes };
}

/** Reference on wasm and device pass on webgpu; backends switch per call (tfjs keeps both alive). */
async function both(ckpt: Checkpoint, opts: Partial<AnalyzeOptions> = {}): Promise<{ wasm: Run; gpu: Run }> {
  await initBackend('wasm');
  const wasm = await analyze(ckpt, opts);
  await initBackend('webgpu');
  const gpu = await analyze(ckpt, opts);
  return { wasm, gpu };
}

/** Queries whose rank differs; METRICS.md allows near-ties (within ~1e-6) to flip in float32. */
function rankFlips(a: Int32Array, b: Int32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((n, r, q) => n + (r === b[q] ? 0 : 1), 0);
}

function assertAgree({ wasm, gpu }: { wasm: Run; gpu: Run }, maxFlips = 0): void {
  for (const k of continuousKeys)
    assert.ok(Math.abs(wasm.result[k] - gpu.result[k]) < 1e-4, `${k}: wasm ${wasm.result[k]} webgpu ${gpu.result[k]}`);
  assert.deepEqual(gpu.result.input_norms, wasm.result.input_norms);
  const flips =
    rankFlips(wasm.detail.ranksI2T, gpu.detail.ranksI2T) + rankFlips(wasm.detail.ranksT2I, gpu.detail.ranksT2I);
  assert.ok(flips <= maxFlips, `${flips} ranks differ`);
  if (flips === 0) assert.deepEqual([gpu.result.i2t, gpu.result.t2i], [wasm.result.i2t, wasm.result.t2i]);
  for (const k of ['positive', 'hardestNegativeI2T', 'hardestNegativeT2I'] as const) {
    const diff = wasm.detail[k].reduce((m, v, q) => Math.max(m, Math.abs(v - gpu.detail[k][q])), 0);
    assert.ok(diff < 1e-5, `${k} differs by ${diff}`);
  }
  for (const [b, bin] of gpu.detail.reliability.entries())
    assert.equal(bin.count, wasm.detail.reliability[b].count, `reliability bin ${b}`);
}

describe('the device-reduced metric pass on webgpu agrees with analyze() on wasm', () => {
  let skip: string | undefined;
  before(async () => {
    skip = await noWebGpuAdapter();
    if (skip) console.log(`# ${skip}`);
  });

  const dir = sharedDataDir();
  for (const name of ['clip-vitb16-coco500', 'clip-random-init-coco500']) {
    it(`${name} (shared data, or a generated stand-in when absent)`, async (t) => {
      if (skip) return t.skip(skip);
      const ckpt = dir
        ? await readCheckpoint([path.join(dir, `${name}.npy`)])
        : generateSample({ pairs: 500, dim: 512, seed: 7, aligned: !name.includes('random') });
      if (!dir) console.log(`# ${name}: ../shared/data is absent, generated 500 pairs instead`);
      // The random-init file has near-ties down to 4e-8 (METRICS.md): allow one flipped query there.
      assertAgree(await both(ckpt), name.includes('random') ? 1 : 0);
    });
  }

  it('multi-caption sets split into many tiles, with own captions across chunk borders', async (t) => {
    if (skip) return t.skip(skip);
    const captions = Array.from({ length: 70 }, (_, i) => 1 + (i % 4));
    const ckpt = randomCheckpoint(3, 24, captions);
    // 8 KiB bindings: 32-row blocks, 64-row chunks; the texts (175) span 3 chunks, a block's captions 2.
    const runs = await both(ckpt, { maxBindingBytes: 8192, memoryBudgetBytes: 64 * 1024 });
    assertAgree(runs);
    // Every tile's tensors freed: a worker runs job after job on one GPU.
    const tensors = tf.memory().numTensors;
    const tile = (await analyzeOnDevice(ckpt, { maxBindingBytes: 8192, memoryBudgetBytes: 64 * 1024 })).tile;
    assert.deepEqual(tile, { rows: 32, cols: 64 });
    assert.equal(tf.memory().numTensors, tensors, 'tensors left after the pass');
  });
});

describe('GPU memory between jobs', () => {
  it('the pool of released buffers goes back to the GPU, and the next job runs as before', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const ckpt = randomCheckpoint(
      4,
      24,
      Array.from({ length: 60 }, () => 1),
    );
    const opts = { maxBindingBytes: 8192, memoryBudgetBytes: 64 * 1024 };
    const first = await analyzeOnDevice(ckpt, opts);
    const gpu = () => tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
    assert.ok(gpu().numBytesAllocatedInGPU > gpu().numBytesInGPU, 'tfjs pools the buffers a job released');
    releasePooledBuffers();
    assert.equal(gpu().numBytesAllocatedInGPU, gpu().numBytesInGPU);
    const again = await analyzeOnDevice(ckpt, opts);
    assert.deepEqual(again.result, first.result);
    assert.ok(gpu().numBytesAllocatedInGPU > gpu().numBytesInGPU, 'and pools them again');
  });
});

describe('out of GPU memory', () => {
  it('retries with smaller tiles, says which tiles failed, and still agrees with wasm', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    const ckpt = randomCheckpoint(
      5,
      32,
      Array.from({ length: 300 }, () => 1),
    );
    const opts = { maxBindingBytes: 64 * 1024, memoryBudgetBytes: 1024 * 1024 };
    await initBackend('webgpu');
    const clean = await analyzeOnDevice(ckpt, opts);
    // The software adapter cannot be driven out of memory: its out-of-memory scope reports it once.
    let injected = 0;
    const oom = () => (injected++ === 0 ? ({ message: 'Out of memory (injected by the test)' } as GPUError) : null);
    const retried = await withScopeAnswer('out-of-memory', oom, () => analyzeOnDevice(ckpt, opts));
    assert.equal(injected, 2, 'the first pass failed, the retry ran');
    assert.deepEqual(retried.notes, [
      `GPU out of memory with ${clean.tile.rows} x ${clean.tile.cols} tiles; retried with ${retried.tile.rows} x ${retried.tile.cols}`,
    ]);
    assert.ok(
      retried.tile.rows * retried.tile.cols < clean.tile.rows * clean.tile.cols,
      JSON.stringify([clean.tile, retried.tile]),
    );
    assertAgree({ wasm: clean, gpu: retried });
  });
});

describe('a kernel the GPU rejects', () => {
  it('fails the analysis in one line instead of reporting metrics computed on zeros', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const rejected = () =>
      ({
        message: 'Binding size (1) is larger than the maximum (injected by the test)\n - While validating',
      }) as GPUError;
    await assert.rejects(
      withScopeAnswer('validation', rejected, () =>
        analyzeOnDevice(
          randomCheckpoint(
            6,
            16,
            Array.from({ length: 50 }, () => 1),
          ),
        ),
      ),
      /^Error: the GPU rejected a kernel of the analysis \(Binding size \(1\) is larger than the maximum \(injected by the test\)\)$/,
    );
  });
});

describe("a kernel the GPU rejects in the view's projections", () => {
  it('fails the snapshot in one line naming the step', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const checkpoint = generateSample({ pairs: 80, dim: 16, seed: 3 });
    const { result, detail } = await analyzeOnDevice(checkpoint);
    const rejected = () => ({ message: 'Invalid BindGroup (injected by the test)' }) as GPUError;
    await assert.rejects(
      withScopeAnswer('validation', rejected, () =>
        buildSnapshot(analyzedFromCheckpoint(checkpoint, result, detail), 'webgpu'),
      ),
      /^Error: the GPU rejected a kernel in the PCA of the scatter \(Invalid BindGroup \(injected by the test\)\)$/,
    );
    assert.ok(
      (await buildSnapshot(analyzedFromCheckpoint(checkpoint, result, detail), 'webgpu')).snapshot.scatter,
      'and builds without the injected error',
    );
  });
});

describe("the view's PCA on webgpu", () => {
  it('runs at a D whose D x D covariance would pass the binding limit, and agrees with wasm', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const dim = Math.ceil(Math.sqrt(bindingLimit() / 4)) + 1;
    const rows = 40;
    const rng = mulberry32(19);
    const data = Float32Array.from({ length: rows * dim }, (_, e) => gaussian(rng) * (1 + 4 / (1 + (e % dim))));
    const points = { rows, cols: dim, data };
    const gpu = await pca(points, 3);
    await initBackend('wasm');
    const wasm = await pca(points, 3);
    for (let c = 0; c < 3; c++) {
      const cos = wasm.components
        .subarray(c * dim, (c + 1) * dim)
        .reduce((s, e, d) => s + e * gpu.components[c * dim + d], 0);
      assert.ok(cos > 1 - 1e-4, `component ${c}: cos = ${cos}`);
      assert.ok(Math.abs(wasm.explained[c] - gpu.explained[c]) < 1e-4, `explained ${c}`);
    }
  });
});

describe('tile planning', () => {
  it('keeps a tile and a candidate chunk within one binding and the budget', () => {
    for (const [budget, binding, dim, rows] of [
      [512 * 2 ** 20, 128 * 2 ** 20, 512, 100_000],
      [64 * 2 ** 30, 2 ** 31, 512, 100_000],
      [2 ** 20, 2 ** 16, 4096, 10],
      [2 ** 30, 2 ** 32, 768, 5_000],
    ]) {
      const t = planTiles(budget, binding, dim, rows);
      assert.ok(t.cols % t.rows === 0, JSON.stringify(t));
      assert.ok(t.rows * t.cols * 4 <= Math.max(binding, 4 * t.rows * t.rows), JSON.stringify(t));
      assert.ok(t.cols * dim * 4 <= binding || t.cols === t.rows, JSON.stringify(t));
      assert.ok(t.rows * t.cols * 4 * 6 <= Math.max(budget, 6 * 4 * t.rows * t.rows), JSON.stringify(t));
    }
  });
});
