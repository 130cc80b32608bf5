/**
 * Whether a training step at the configured batch fits the active backend, checked before the run
 * starts. Past the limits nothing says so in time: wasm aborts mid-step ("memory access out of
 * bounds"), and on webgpu a tensor over the adapter's binding limit reads as zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors';
import { mulberry32 } from '../random';
import { bindingLimit } from '../webgpuRung';
import { createAdamState, disposeAdamState } from './adamw';
import { createHeads, disposeHeads, normalizeRows } from './heads';
import { drawLambdas, queueStep, type StepSettings } from './step';

/** Probe steps run at these batches: three, to fit the quadratic a step's memory is in the batch. */
const probeBatches = [128, 256, 384];
/**
 * Below this, no check: a step holds about 35 B x B matrices at most (measured, m3-Mix on wasm), under
 * 150 MiB, and its largest tensor, 4 of them, is under WebGPU's smallest binding limit of 128 MiB.
 */
const checkFrom = 1024;
/** tfjs-backend-wasm's heap (wasm32, grown up to 4 GiB), with room for what else it holds. */
const wasmHeapBytes = 0.9 * 2 ** 32;

export interface StepFootprint {
  /** Most bytes the step's tensors held at once. */
  peakBytes: number;
  /** The largest tensor a kernel wrote. */
  largestTensorBytes: number;
}

interface Probe {
  batch: number;
  peakBytes: number;
  /** Every kernel output's shape, in the order the step ran them. */
  shapes: number[][];
}

/** One step at `b` on throwaway heads, under tf.profile. */
async function probe(b: number, dims: { image: number; text: number; joint: number }, s: StepSettings): Promise<Probe> {
  const heads = createHeads(dims.image, dims.text, dims.joint, 1);
  const adam = createAdamState([heads.image, heads.text]);
  const x = tf.tidy(() => normalizeRows(tf.randomNormal([b, dims.image], 0, 1, 'float32', 1)));
  const y = tf.tidy(() => normalizeRows(tf.randomNormal([b, dims.text], 0, 1, 'float32', 2)));
  try {
    const before = tf.memory().numBytes;
    const info = await tf.profile(async () => void (await queueStep(heads, adam, x, y, drawLambdas(mulberry32(1), s.beta, s.weights), s)));
    return { batch: b, peakBytes: info.peakBytes - before, shapes: info.kernels.flatMap((k) => k.outputShapes.map((shape) => shape.map((d) => d ?? 1))) };
  } finally {
    tf.dispose([x, y]);
    disposeHeads(heads);
    disposeAdamState(adam);
  }
}

/**
 * A step's footprint at `batch`, from probe steps at small batches. The tensors alive at the peak
 * are B x B, B x D or D x D, so the peak is a quadratic in the batch, fitted through three probes;
 * each dimension of each kernel output is linear in it, so every tensor's size at `batch` follows
 * from two probes.
 */
export async function estimateFootprint(batch: number, dims: { image: number; text: number; joint: number }, s: StepSettings): Promise<StepFootprint> {
  const probes: Probe[] = [];
  for (const b of probeBatches) probes.push(await probe(b, dims, s));
  const [p, q, r] = probes;
  // Lagrange through the three (batch, peak) points.
  const at = (u: Probe, v: Probe, w: Probe) => (u.peakBytes * (batch - v.batch) * (batch - w.batch)) / ((u.batch - v.batch) * (u.batch - w.batch));
  const peakBytes = at(p, q, r) + at(q, r, p) + at(r, p, q);
  if (p.shapes.length !== q.shapes.length) throw new Error('estimateFootprint: the probe steps ran different kernels');
  const t = (batch - p.batch) / (q.batch - p.batch);
  const largest = Math.max(0, ...p.shapes.map((shape, i) => shape.reduce((n, d, k) => n * (d + (q.shapes[i][k] - d) * t), 4)));
  return { peakBytes, largestTensorBytes: largest };
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;
/** The largest batch whose footprint, growing with its square, stays within `limit`. */
const largestFitting = (batch: number, bytes: number, limit: number) => Math.max(2, Math.floor((batch * Math.sqrt(limit / bytes)) / 64) * 64);

/** Throws an InputError naming `source` when a step at `batch` would not fit the active backend. */
export async function checkBatchFits(batch: number, dims: { image: number; text: number; joint: number }, s: StepSettings, source: string): Promise<void> {
  if (batch < checkFrom) return;
  const backend = tf.getBackend();
  if (backend !== 'webgpu' && backend !== 'wasm') return;
  const f = await estimateFootprint(batch, dims, s);
  if (backend === 'webgpu' && f.largestTensorBytes > bindingLimit()) {
    throw new InputError(
      source,
      `batchSize ${batch} does not fit this GPU: a step's largest tensor would be ${mib(f.largestTensorBytes)}, over the adapter's binding limit of ${mib(bindingLimit())}; use batchSize ${largestFitting(batch, f.largestTensorBytes, bindingLimit())} or less, or another backend`,
    );
  }
  if (backend === 'wasm' && f.peakBytes > wasmHeapBytes) {
    throw new InputError(
      source,
      `batchSize ${batch} does not fit the wasm backend: a step would hold about ${mib(f.peakBytes)} (estimated from steps at batch ${probeBatches.join(', ')}), over its 4 GiB heap; use batchSize ${largestFitting(batch, f.peakBytes, wasmHeapBytes)} or less`,
    );
  }
}
