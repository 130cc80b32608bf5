/**
 * queueStep's contract on wasm and on webgpu: steps queued before the previous loss is read back
 * give what steps run one at a time give, and a non-finite loss leaves the heads and the AdamW
 * moments as they were, for that step and every later one, without the caller waiting in between.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { CancelledError } from '../../../../src/core/util/errors';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';
import { createAdamState, disposeAdamState, type AdamState } from '../../../../src/core/train/adamw';
import { createHeads, disposeHeads, normalizeTensorRows, type Heads } from '../../../../src/core/train/heads';
import { profileTrainStep } from '../../../../src/core/train/bench';
import { drawLambdas, queueStep, type StepResult, type StepSettings } from '../../../../src/core/train/step';
import { bindingLimit } from '../../../../src/core/backend/webgpuRung';
import { noWebGpuAdapter, withScopeAnswer } from '../../../helpers/webgpu';

const [b, d] = [8, 6];
const settings: StepSettings = {
  tau: 0.05,
  tauM: 0.07,
  beta: 0.5,
  weights: { m2mix: 0.1, vmix: 0.05, lmix: 0.05, vlmix: 0.05 },
  lr: 1e-2,
  weightDecay: 0.2,
};

function batch(seed: number, poison = false): tf.Tensor2D {
  const rng = mulberry32(seed);
  const data = Float32Array.from({ length: b * d }, () => gaussian(rng));
  if (poison) data[3] = NaN;
  return tf.tidy(() => normalizeTensorRows(tf.tensor2d(data, [b, d])));
}

/** Heads, moments and the health flag, read back. */
async function state(heads: Heads, adam: AdamState): Promise<number[][]> {
  return Promise.all(
    [heads.image, heads.text, ...adam.m, ...adam.v, adam.healthy].map(async (t) => Array.from(await t.data())),
  );
}

/** Runs the batches (seeds; negative: a batch with a NaN) queued all at once or one at a time. */
async function run(
  seeds: number[],
  pipelined: boolean,
): Promise<{ results: StepResult[]; before: number[][]; after: number[][]; steps: number }> {
  const heads = createHeads(d, d, d, 3);
  const adam = createAdamState([heads.image, heads.text]);
  const rng = mulberry32(9);
  try {
    const before = await state(heads, adam);
    const pending: Promise<StepResult>[] = [];
    for (const seed of seeds) {
      const [x, y] = [batch(Math.abs(seed), seed < 0), batch(Math.abs(seed) + 100)];
      const step = queueStep(heads, adam, x, y, drawLambdas(rng, settings.beta, settings.weights), settings);
      tf.dispose([x, y]);
      if (!pipelined) await step;
      pending.push(step);
    }
    return { results: await Promise.all(pending), before, after: await state(heads, adam), steps: adam.step };
  } finally {
    disposeHeads(heads);
    disposeAdamState(adam);
  }
}

const close = (a: number[][], b: number[][], tol: number) =>
  a.every((t, i) => t.every((v, k) => Math.abs(v - b[i][k]) <= tol));

for (const backend of ['wasm', 'webgpu'] as const) {
  describe(`queueStep on ${backend}`, () => {
    it('queued back to back, matches one step at a time', async (t) => {
      const skip = backend === 'webgpu' ? await noWebGpuAdapter() : undefined;
      if (skip) return t.skip(skip);
      await initBackend(backend);
      const seeds = [1, 2, 3, 4];
      const [pipelined, sequential] = [await run(seeds, true), await run(seeds, false)];
      assert.deepEqual(
        pipelined.results.map((r) => r.loss),
        sequential.results.map((r) => r.loss),
      );
      assert.ok(pipelined.results.every((r) => r.updated && Number.isFinite(r.loss)));
      assert.deepEqual(pipelined.after, sequential.after);
      assert.ok(!close(pipelined.after, pipelined.before, 1e-4), 'the steps moved the weights');
    });

    it('a non-finite loss leaves weights and moments as they were, for that step and the later ones', async (t) => {
      const skip = backend === 'webgpu' ? await noWebGpuAdapter() : undefined;
      if (skip) return t.skip(skip);
      await initBackend(backend);
      const good = await run([1, 2], true);
      const poisoned = await run([1, 2, -3, 4, 5], true);
      assert.deepEqual(
        poisoned.results.map((r) => r.updated),
        [true, true, false, false, false],
      );
      assert.ok(Number.isNaN(poisoned.results[2].loss));
      assert.ok(Number.isFinite(poisoned.results[3].loss), 'the step after is computed, only its update is held');
      // Exactly the two good steps' state, the flag aside.
      assert.deepEqual(poisoned.after.slice(0, -1), good.after.slice(0, -1));
      assert.deepEqual([good.after.at(-1), poisoned.after.at(-1)], [[1], [0]]);
      assert.equal(poisoned.steps, 5);
    });
  });
}

describe('queueStep stopped by its check', () => {
  it('looks between the products of every term, and a throw leaves the weights, moments, step and tensors as they were', async () => {
    await initBackend('wasm');
    const heads = createHeads(d, d, d, 3);
    const adam = createAdamState([heads.image, heads.text]);
    const [x, y] = [batch(1), batch(101)];
    const lambdas = drawLambdas(mulberry32(9), settings.beta, settings.weights);
    try {
      let looks = 0;
      await queueStep(heads, adam, x, y, lambdas, { ...settings, check: () => void looks++ });
      // m3-Mix: 12 products of the 4 pair terms, 3 around their cross-entropy's halves, 4 in m2-Mix, 2 around the mixes' backward, 1 before the update.
      assert.equal(looks, 12 + 3 + 4 + 2 + 1);
      const before = await state(heads, adam);
      const tensors = tf.memory().numTensors;
      for (const stopAt of [1, 14, looks]) {
        let seen = 0;
        const stop = () => {
          if (++seen === stopAt) throw new CancelledError();
        };
        assert.throws(() => queueStep(heads, adam, x, y, lambdas, { ...settings, check: stop }), CancelledError);
        assert.equal(tf.memory().numTensors, tensors, `tensors left by a stop at look ${stopAt}`);
        assert.deepEqual(await state(heads, adam), before, `state after a stop at look ${stopAt}`);
        assert.equal(adam.step, 1);
      }
    } finally {
      tf.dispose([x, y]);
      disposeHeads(heads);
      disposeAdamState(adam);
    }
  });
});

describe('queueStep on webgpu, past the binding limit', () => {
  /**
   * One step at batch `rows` on `backend` from the same heads, batch and lambdas: its loss, and the
   * first AdamW moments after it, (1 - beta1) times the gradients (the update itself, lr times about
   * sign(g) on a first step, is too sensitive to the last digits of small gradients to compare).
   */
  async function stepOn(backend: 'wasm' | 'webgpu', rows: number): Promise<{ loss: number; moments: number[][] }> {
    await initBackend(backend);
    const heads = createHeads(d, d, d, 3);
    const adam = createAdamState([heads.image, heads.text]);
    const rng = mulberry32(rows);
    const [x, y] = [0, 1].map(() =>
      tf.tidy(() =>
        normalizeTensorRows(
          tf.tensor2d(
            Float32Array.from({ length: rows * d }, () => gaussian(rng)),
            [rows, d],
          ),
        ),
      ),
    );
    try {
      const { loss } = await queueStep(heads, adam, x, y, drawLambdas(mulberry32(1), 0.5, settings.weights), settings);
      return { loss, moments: await Promise.all(adam.m.map(async (m) => Array.from(await m.data()))) };
    } finally {
      tf.dispose([x, y]);
      disposeHeads(heads);
      disposeAdamState(adam);
    }
  }

  it("runs a batch whose logits pass it in blocks of rows: the loss and the update are wasm's", async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    // The four stacked B x B logits of m3-Mix would be the step's largest tensor.
    const over = Math.ceil(Math.sqrt(bindingLimit() / 16)) + 64;
    if (bindingLimit() > 2 ** 28)
      return t.skip(
        `skipped: the adapter binds ${bindingLimit()} bytes, so going past it takes a batch of ${over}, too large for a test`,
      );
    const [gpu, wasm] = [await stepOn('webgpu', over), await stepOn('wasm', over)];
    assert.ok(
      Math.abs(gpu.loss - wasm.loss) <= 1e-4 * Math.abs(wasm.loss),
      `loss: webgpu ${gpu.loss}, wasm ${wasm.loss}`,
    );
    const largest = Math.max(...wasm.moments.flat().map(Math.abs));
    const worst = gpu.moments
      .flatMap((m, i) => m.map((v, k) => [Math.abs(v - wasm.moments[i][k]), i, k, v, wasm.moments[i][k]]))
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5);
    assert.ok(
      close(gpu.moments, wasm.moments, 1e-4 * largest),
      `gradients (largest ${largest}) ${JSON.stringify(worst)}`,
    );
  });

  it("fails with the device's message where a kernel is rejected, instead of computing on zeros", async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    // What Dawn reports for a tensor of rows over the limit; making one on llvmpipe takes minutes of compute.
    const rejected = () =>
      ({
        message:
          'Binding size (134217732) is larger than the maximum storage buffer binding size (134217728). (injected by the test)\n - While validating',
      }) as GPUError;
    const heads = createHeads(d, d, d, 3);
    const adam = createAdamState([heads.image, heads.text]);
    const [x, y] = [batch(1), batch(2)];
    try {
      await assert.rejects(
        withScopeAnswer('validation', rejected, () =>
          queueStep(heads, adam, x, y, drawLambdas(mulberry32(1), 0.5, settings.weights), settings),
        ),
        /^Error: the GPU rejected a kernel \(Binding size \(\d+\) is larger than the maximum storage buffer binding size \(\d+\)\. \(injected by the test\)\)$/,
      );
    } finally {
      tf.dispose([x, y]);
      disposeHeads(heads);
      disposeAdamState(adam);
    }
  });
});

describe('queueStep on webgpu, dispatches', () => {
  // On a GPU a step costs about a dispatch's overhead per kernel whatever its size, so the count is
  // the step's speed: this holds the fused form to its budget (122 before fusedTerms and fusedRows).
  it('an m3-Mix step runs at most 50 kernels, none of them per term or per row block', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const { dispatches } = await profileTrainStep({ batchSize: 16, dim: 8 });
    const total = [...dispatches.values()].reduce((s, n) => s + n, 0);
    assert.ok(total <= 50, `${total} dispatches: ${[...dispatches].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const program of ['ReverseProgram', 'AddNPackedProgram', 'OneHotProgram'])
      assert.equal(dispatches.get(program), undefined, program);
    assert.ok((dispatches.get('SliceProgram') ?? 0) <= 2, 'slices');
  });
});
