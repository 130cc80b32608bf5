/**
 * `npm run bench -- --backend webgpu`: adapter, matMul GFLOP/s, the device pass's seconds for N
 * pairs at D = 512 beside analyze() on wasm at the smallest N (wasm at 100,000 pairs takes tens of
 * minutes, so it is not run there), and m3-Mix training steps/s at batch 512 on both, with where
 * a webgpu step's time goes: dispatches per step, the kernels' GPU time against the wall time, and
 * the steps/s without overlapping steps and with more dispatches per queue submit.
 * Options: [--sizes 5000,20000,100000] [--budget-mb 2048]
 */
import { initBackend, probeGflops } from '../src/core/backend/backendLadder';
import { analyze } from '../src/core/metrics/analyze';
import { resolveOptions } from '../src/core/metrics/analyzeOptions';
import { devicePass } from '../src/core/metrics/devicePass';
import { metricPassInput } from '../src/core/metrics/passInput';
import { summarize } from '../src/core/metrics/summary';
import type { AnalysisResult } from '../src/core/metrics/types';
import type { Checkpoint } from '../src/core/readers/checkpoint';
import * as tf from '@tensorflow/tfjs-core';
import { benchTrainStep, profileTrainStep } from '../src/core/train/bench';
import { generateSample } from '../src/core/synthetic/sampleCheckpoint';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const sizes = arg('sizes', '5000,20000,100000').split(',').map(Number);
const budgetBytes = Number(arg('budget-mb', '2048')) * 2 ** 20;
const dim = 512;

/** Multiply-adds of the pass: both directions' cross products plus the two within-modality triangles. */
const gflop = (n: number) => (2 * dim * (2 * n * n + n * n)) / 1e9;

const keys = ['uniformity', 'alignment', 'hardest_negative_alignment_i2t', 'modality_gap', 'ece'] as const;

/** The training step the GPU target is about: m3-Mix (all four mixup terms) at batch 512, D = 512. */
const trainStep = { batchSize: 512, dim, steps: 10 };

/** What analyze() does on webgpu, keeping the tiles the device pass chose. */
async function analyzeOnDevice(ckpt: Checkpoint) {
  const input = metricPassInput(ckpt, resolveOptions({ memoryBudgetBytes: budgetBytes }));
  const pass = await devicePass(input);
  return { ...summarize(input, pass), tile: pass.tile, notes: pass.notes };
}

export async function benchWebgpu(): Promise<void> {
  const gpu = await initBackend('webgpu');
  console.log(`adapter: ${gpu.detail}`);
  console.log(`webgpu matMul 1024: ${(await probeGflops(2, 1024)).toFixed(1)} GFLOP/s`);
  let first: AnalysisResult | undefined;
  for (const n of sizes) {
    const ckpt = generateSample({ pairs: n, dim, seed: 1 });
    await analyzeOnDevice(generateSample({ pairs: 256, dim, seed: 2 })); // compiles the shaders
    const start = performance.now();
    const run = await analyzeOnDevice(ckpt);
    const s = (performance.now() - start) / 1000;
    first ??= run.result;
    console.log(
      `webgpu N=${n} D=${dim}: ${s.toFixed(2)} s, ${(gflop(n) / s).toFixed(0)} GFLOP/s effective, tiles ${run.tile.rows} x ${run.tile.cols}` +
        `${run.notes.length ? `, ${run.notes.join('; ')}` : ''}; R@1 ${run.result.i2t['R@1'].toFixed(2)}, uniformity ${run.result.uniformity.toFixed(5)}`,
    );
  }
  const n = sizes[0];
  await initBackend('wasm');
  const start = performance.now();
  const wasm = await analyze(generateSample({ pairs: n, dim, seed: 1 }), { memoryBudgetBytes: 512 * 2 ** 20 });
  const s = (performance.now() - start) / 1000;
  const diff = Math.max(...keys.map((k) => Math.abs(wasm.result[k] - first![k])));
  console.log(
    `wasm   N=${n} D=${dim}: ${s.toFixed(2)} s, ${(gflop(n) / s).toFixed(0)} GFLOP/s effective; max |webgpu - wasm| over ${keys.join(', ')}: ${diff.toExponential(1)}`,
  );
  const largest = sizes[sizes.length - 1];
  if (largest > n)
    console.log(`wasm at N=${largest} not run: about ${((s * (largest / n) ** 2) / 60).toFixed(0)} min by N^2 scaling`);
  const wasmTrain = await benchTrainStep(trainStep);
  await initBackend('webgpu');
  const gpuTrain = await benchTrainStep(trainStep);
  const label = `train step (m3-Mix, batch ${trainStep.batchSize}, D ${dim})`;
  console.log(
    `${label} webgpu: ${gpuTrain.stepsPerSecond.toFixed(2)} steps/s, ${gpuTrain.gflops.toFixed(1)} GFLOP/s; ` +
      `queueing a step takes ${gpuTrain.queueMs.toFixed(1)} ms of CPU of the ${(1000 / gpuTrain.stepsPerSecond).toFixed(1)} ms a step takes`,
  );
  console.log(
    `${label} wasm:   ${wasmTrain.stepsPerSecond.toFixed(2)} steps/s, ${wasmTrain.gflops.toFixed(1)} GFLOP/s`,
  );
  const ratio = gpuTrain.stepsPerSecond / wasmTrain.stepsPerSecond;
  console.log(`webgpu / wasm training speed: ${ratio.toFixed(1)}x (target: at least 10x on a hardware adapter)`);
  await profileStep();
}

/**
 * Whether the webgpu step waits on the GPU or on dispatching: its dispatches, GPU time summed over
 * the tfjs kernels (timestamp queries; 0 where the adapter has none) against its wall time, the
 * kernels taking most of it, and the rate when each step waits for its loss before the next is
 * queued, and when tfjs batches 64 dispatches per queue submit instead of 15.
 */
async function profileStep(): Promise<void> {
  const label = `webgpu train step profile (batch ${trainStep.batchSize})`;
  const { wallMs, kernels, dispatches } = await profileTrainStep(trainStep);
  const byName = new Map<string, { ms: number; count: number }>();
  for (const k of kernels) {
    const e = byName.get(k.name) ?? { ms: 0, count: 0 };
    byName.set(k.name, { ms: e.ms + k.ms, count: e.count + 1 });
  }
  const gpuMs = kernels.reduce((t, k) => t + k.ms, 0);
  const programs = [...dispatches].sort((a, b) => b[1] - a[1]);
  const total = programs.reduce((t, [, n]) => t + n, 0);
  console.log(`${label}: ${total} dispatches (${programs.map(([name, n]) => `${name} ${n}`).join(', ')})`);
  console.log(
    `${label}: ${kernels.length} tfjs kernels, ${gpuMs.toFixed(1)} ms of their GPU time, in ${wallMs.toFixed(1)} ms wall (profiling adds overhead)`,
  );
  const top = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
  console.log(`${label}, most time: ${top.map(([name, e]) => `${name} ${e.ms.toFixed(1)} ms/${e.count}`).join(', ')}`);
  const serial = await benchTrainStep({ ...trainStep, overlap: false });
  console.log(
    `${label} waiting for each loss before queueing the next step: ${serial.stepsPerSecond.toFixed(2)} steps/s`,
  );
  const flag = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';
  const before = tf.env().get(flag);
  tf.env().set(flag, 64);
  try {
    const batched = await benchTrainStep(trainStep);
    console.log(`${label} with ${flag}=64 (default ${before}): ${batched.stepsPerSecond.toFixed(2)} steps/s`);
  } finally {
    tf.env().set(flag, before);
  }
}
