/**
 * The fused WebGPU kernels of the training step (fusedKernels.ts): against the op-by-op versions on
 * the same backend, closely; and every loss term, its gradients and AdamW against wasm, whose ops
 * the float64 and finite-difference tests of losses.test.ts check. The rows hit the mixes' clamp
 * and small-angle branches.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';
import { adamwStep, createAdamState } from '../../../../src/core/train/adamw';
import { fusedGeodesicMix } from '../../../../src/core/train/fusedKernels';
import { blockedSoftmaxCrossEntropy, type BlockedLogits } from '../../../../src/core/train/fusedSoftmax';
import { fusedTerms } from '../../../../src/core/train/fusedTerms';
import { geodesicMix } from '../../../../src/core/train/mixup';
import { opsSoftmaxCrossEntropy } from '../../../../src/core/train/softmaxCrossEntropy';
import { clipLoss, lmixLoss, m2mixLoss, trainingLoss, vlmixLoss, vmixLoss } from '../../../../src/core/train/losses';
import { planTerms, type LossGrad, type TermPlanLossGrad } from '../../../../src/core/train/termPlan';
import { useFusedKernels } from '../../../../src/core/train/webgpuKernel';
import { noWebGpuAdapter } from '../../../helpers/webgpu';

/** b unit rows of dim d; with `special`, row 0 equals the partner's row 0 and row 1 is its opposite. */
function rows(b: number, d: number, seed: number, partner?: Float32Array): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(b * d);
  for (let i = 0; i < b; i++) {
    const row = out.subarray(i * d, (i + 1) * d);
    if (partner && i < 2) row.set(partner.subarray(i * d, (i + 1) * d).map((v) => (i === 0 ? v : -v)));
    else {
      for (let k = 0; k < d; k++) row[k] = gaussian(rng);
      const len = Math.hypot(...row);
      for (let k = 0; k < d; k++) row[k] /= len;
    }
  }
  return out;
}

/** B odd, so V-, L- and VL-Mix mix the middle row with itself. */
const [b, d] = [9, 12];
const y = rows(b, d, 2);
const x = rows(b, d, 1, y);

type Result = { loss: number; dx: Float32Array; dy: Float32Array; components?: Record<string, number> };
type Loss = LossGrad & Partial<Pick<TermPlanLossGrad, 'values' | 'terms'>>;

/** Runs `f` on `backend` and reads everything back (awaited: webgpu in Node has no dataSync). */
async function on(backend: 'wasm' | 'webgpu', f: (x: tf.Tensor2D, y: tf.Tensor2D) => Loss): Promise<Result> {
  await initBackend(backend);
  const r = tf.tidy(
    () => f(tf.tensor2d(x, [b, d]), tf.tensor2d(y, [b, d])) as unknown as tf.TensorContainerObject,
  ) as unknown as Loss;
  try {
    const [loss, dx, dy, values] = await Promise.all(
      [r.loss, r.dx, r.dy, r.values ?? r.loss].map((t) => t.data() as Promise<Float32Array>),
    );
    if (r.values) assert.equal(values[0], loss[0], 'values[0] is the loss');
    return {
      loss: loss[0],
      dx,
      dy,
      components: r.terms && Object.fromEntries(r.terms.map((k, i) => [k, values[i + 1]])),
    };
  } finally {
    tf.dispose([r.loss, r.dx, r.dy, ...(r.values ? [r.values] : [])]);
  }
}

/** |got - want| <= tol (1 + |want|) elementwise. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol: number): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])),
      `${what}[${i}]: webgpu ${got[i]}, wasm ${want[i]}`,
    );
}

describe('fused WebGPU training kernels agree with the op-by-op versions on wasm', () => {
  let skip: string | undefined;
  before(async () => {
    skip = await noWebGpuAdapter();
    if (skip) console.log(`# ${skip}`);
  });

  const m3 = {
    tau: 0.05,
    tauM: 0.07,
    weights: { m2mix: 0.2, vmix: 0.1, lmix: 0.3, vlmix: 0.05 },
    lambdas: { m2mix: 0.3, vmix: 0.6, lmix: 0.45, vlmix: 0.8 },
  };
  const cases: [string, (x: tf.Tensor2D, y: tf.Tensor2D) => Loss][] = [
    ['CLIP', (a, c) => clipLoss(a, c, 0.05)],
    ['m2-Mix', (a, c) => m2mixLoss(a, c, 0.3, 0.07)],
    ['V-Mix', (a, c) => vmixLoss(a, c, 0.6, 0.05)],
    ['L-Mix', (a, c) => lmixLoss(a, c, 0.45, 0.05)],
    ['VL-Mix', (a, c) => vlmixLoss(a, c, 0.8, 0.05)],
    ['m3-Mix', (a, c) => trainingLoss(a, c, m3)],
    // On webgpu the pair terms' logits in blocks of 2 rows and m2-Mix's in blocks of 4 (the last of 1 each), as past the
    // adapter's binding limit; wasm has no blocks.
    [
      'm3-Mix, logits in blocks of rows',
      (a, c) =>
        useFusedKernels()
          ? fusedTerms(a, c, planTerms({ ...m3, weights: { clip: 1, ...m3.weights } }), 4 * 4 * b * 2)
          : trainingLoss(a, c, m3),
    ],
  ];
  it('the softmax cross-entropy kernels match the ops on webgpu, in one block of rows or several', async (t) => {
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const logits = tf.mul(tf.randomNormal([3, b, b], 0, 1, 'float32', 7), 8) as tf.Tensor3D;
    const [alpha, beta, scale] = [
      [1, 0.6, 0.5],
      [0, 0.4, 0.5],
      [0.1, 0.2, 0.3],
    ];
    for (const symmetric of [true, false]) {
      const ops = opsSoftmaxCrossEntropy(logits, alpha, beta, scale, symmetric);
      // b = 9 rows: one block, blocks of 4 (the last of 1), and a block a row.
      for (const blockRows of [b, 4, 1]) {
        const parts: tf.Tensor3D[] = [];
        const blocks: BlockedLogits = {
          p: 3,
          n: b,
          blockRows,
          logitScale: 0.5,
          block: (r0, rows) => tf.mul(tf.slice(logits, [0, r0, 0], [3, rows, b]), 2) as tf.Tensor3D,
        };
        const losses = blockedSoftmaxCrossEntropy(blocks, alpha, beta, scale, symmetric, (dS) => parts.push(dS));
        const what = `(symmetric ${symmetric}, blocks of ${blockRows})`;
        assertClose(await losses.data(), await ops.losses.data(), `losses ${what}`, 1e-5);
        assertClose(await tf.concat(parts, 1).data(), await ops.dS.data(), `dS ${what}`, 1e-5);
      }
    }
  });

  it('the geodesic mix kernels match the ops on webgpu, the clamp and small-angle rows included', async (t) => {
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const [a, c] = [tf.tensor2d(x, [b, d]), tf.tensor2d(y, [b, d])];
    const lambdas = Array.from({ length: b }, (_, i) => (i + 1) / (b + 1));
    const fused = fusedGeodesicMix(a, c, tf.tensor1d(lambdas));
    const ops = geodesicMix(a, c, tf.tensor2d(lambdas, [b, 1]));
    assertClose(await fused.mixed.data(), await ops.mixed.data(), 'mixed', 1e-5);
    const g = tf.tensor2d(rows(b, d, 9), [b, d]);
    const [fa, fb] = fused.backward(g);
    const [oa, ob] = ops.backward(g);
    assertClose(await fa.data(), await oa.data(), 'd/da', 1e-5);
    assertClose(await fb.data(), await ob.data(), 'd/db', 1e-5);
  });

  // WGSL's acos, sin and cos are less exact than wasm's; the gradients pass through 1/sin(theta) of the
  // mixes, so they are held to 1e-3 against wasm, the losses to 1e-4 (the metrics' and training's bound).
  for (const [name, f] of cases) {
    it(`${name}: loss and gradients against wasm`, async (t) => {
      if (skip) return t.skip(skip);
      const wasm = await on('wasm', f);
      const gpu = await on('webgpu', f);
      assertClose([gpu.loss], [wasm.loss], 'loss', 1e-4);
      assertClose(gpu.dx, wasm.dx, 'dx', 1e-3);
      assertClose(gpu.dy, wasm.dy, 'dy', 1e-3);
      if (wasm.components) {
        assert.deepEqual(Object.keys(gpu.components!), Object.keys(wasm.components));
        for (const k of Object.keys(wasm.components)) assertClose([gpu.components![k]], [wasm.components[k]], k, 1e-4);
      }
    });
  }

  // tfjs compiles a kernel once per shader key, and the keys hold no sizes: a size written into a
  // kernel's code instead of a uniform would give the previous batch's offsets here.
  it('m3-Mix at another batch after these, its kernels compiled at this one: against wasm', async (t) => {
    if (skip) return t.skip(skip);
    const [b2, d2] = [14, 5];
    const [x2, y2] = [rows(b2, d2, 11), rows(b2, d2, 12)];
    const at = async (backend: 'wasm' | 'webgpu') => {
      await initBackend(backend);
      const r = tf.tidy(
        () =>
          trainingLoss(tf.tensor2d(x2, [b2, d2]), tf.tensor2d(y2, [b2, d2]), m3) as unknown as tf.TensorContainerObject,
      ) as unknown as TermPlanLossGrad;
      const [values, dx, dy] = await Promise.all([r.values, r.dx, r.dy].map((v) => v.data() as Promise<Float32Array>));
      tf.dispose([r.loss, r.dx, r.dy, r.values]);
      return { values, dx, dy };
    };
    const [gpu, wasm] = [await at('webgpu'), await at('wasm')];
    assertClose(gpu.values, wasm.values, 'loss and terms', 1e-4);
    assertClose(gpu.dx, wasm.dx, 'dx', 1e-3);
    assertClose(gpu.dy, wasm.dy, 'dy', 1e-3);
  });

  it('AdamW: two steps move the weights and both moments as on wasm', async (t) => {
    if (skip) return t.skip(skip);
    const run = async (backend: 'wasm' | 'webgpu') => {
      await initBackend(backend);
      const params = [tf.variable(tf.tensor2d(rows(4, 6, 3), [4, 6])), tf.variable(tf.tensor2d(rows(6, 4, 4), [6, 4]))];
      const state = createAdamState(params);
      for (const seed of [5, 6]) {
        const grads = [tf.tensor2d(rows(4, 6, seed), [4, 6]), tf.tensor2d(rows(6, 4, seed + 10), [6, 4])];
        adamwStep(params, grads, state, 1e-2, 0.2);
        tf.dispose(grads);
      }
      const out = await Promise.all(
        [...params, ...state.m, ...state.v].map(async (p) => (await p.data()) as Float32Array),
      );
      tf.dispose([...params, ...state.m, ...state.v]);
      return out;
    };
    const wasm = await run('wasm');
    const gpu = await run('webgpu');
    ['image weights', 'text weights', 'image m', 'text m', 'image v', 'text v'].forEach((what, i) =>
      assertClose(gpu[i], wasm[i], what, 1e-6),
    );
  });
});
