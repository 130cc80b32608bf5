/**
 * Whether a training step at the configured batch fits the active backend, checked before the run
 * starts. Past the limits nothing says so in time: wasm aborts mid-step ("memory access out of
 * bounds"), and on webgpu a tensor over the adapter's binding limit reads as zeros (the step's
 * B x B logits run in blocks of rows under it; its tensors of rows must fit whole).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors';
import { bindingLimit, releasePooledBuffers } from '../backend/webgpuRung';
import { blockRowsWithin } from './fusedSoftmax';
import { withScratchStep, type ScratchDims } from './scratchStep';
import { StepDeviceError, type StepSettings } from './step';

/** Probe steps run at these batches: three, to fit the quadratic a step's memory is in the batch. */
const probeBatches = [128, 256, 384];
/**
 * Below this batch and this dimension, no check: a step holds about 21 B x B matrices at most
 * (measured, m3-Mix on wasm), under 100 MiB, its D x D tensors are under 16 MiB each, and its
 * largest tensor is under WebGPU's smallest binding limit, 128 MiB.
 */
const checkFrom = { batch: 1024, dim: 2048 };
/**
 * Copies of the heads a step holds at once: weights, gradients, both AdamW moments, and one update's
 * intermediates (measured: 9.6 at D = 2,048 on wasm).
 */
const headCopies = 10;
/** tfjs-backend-wasm's heap (wasm32, grown up to 4 GiB), with room for what else it holds. */
const wasmHeapBytes = 0.9 * 2 ** 32;

export interface StepFootprint {
  /** Most bytes the step's tensors held at once. */
  peakBytes: number;
  /** The largest tensor a kernel wrote. */
  largestTensorBytes: number;
  /**
   * The largest tensor a kernel wrote with one dimension that grows with the batch (rows): the
   * B x B ones (logits and their gradients) run in blocks of rows on webgpu, so only these must fit
   * its binding limit whole.
   */
  largestRowsTensorBytes: number;
}

interface Probe {
  batch: number;
  /** Bytes held after each kernel of the step, in the order the step ran them. */
  held: number[];
  /** Every kernel output's shape, in the same order. */
  shapes: number[][];
}

/** One step at `b` on throwaway heads, under tf.profile. */
function probe(b: number, dims: ScratchDims, s: StepSettings): Promise<Probe> {
  return withScratchStep(b, dims, s, async (step) => {
    const before = tf.memory().numBytes;
    const info = await tf.profile(async () => void (await step()));
    return {
      batch: b,
      held: info.kernels.map((k) => k.totalBytesSnapshot - before),
      shapes: info.kernels.flatMap((k) => k.outputShapes.map((shape) => shape.map((d) => d ?? 1))),
    };
  });
}

/**
 * A step's footprint at any batch, from probe steps at small batches. The step runs the same kernels
 * at every batch, and what is held after each is a sum of B x B, B x D and D x D tensors: a
 * quadratic in the batch, fitted through three probes. The peak is the largest of these (the phase
 * of the step that peaks moves with the batch: at D = 512 the probes peak in the heads, batch 4,096
 * in the cross-entropies), plus one largest tensor for what is made and freed between kernels. Each
 * dimension of each kernel output is linear in the batch, so every tensor's size follows from two
 * probes.
 */
export async function footprintModel(dims: ScratchDims, s: StepSettings): Promise<(batch: number) => StepFootprint> {
  const probes: Probe[] = [];
  for (const b of probeBatches) probes.push(await probe(b, dims, s));
  const [p, q, r] = probes;
  if (p.held.length !== q.held.length || q.held.length !== r.held.length || p.shapes.length !== q.shapes.length) {
    throw new Error('footprintModel: the probe steps ran different kernels');
  }
  return (batch) => {
    // Lagrange through the three (batch, bytes held after kernel k) points.
    const term = (u: Probe, v: Probe, w: Probe, k: number) =>
      (u.held[k] * (batch - v.batch) * (batch - w.batch)) / ((u.batch - v.batch) * (u.batch - w.batch));
    const held = p.held.map((_, k) => term(p, q, r, k) + term(q, r, p, k) + term(r, p, q, k));
    const t = (batch - p.batch) / (q.batch - p.batch);
    const bytes = p.shapes.map((shape, i) => shape.reduce((n, d, k) => n * (d + (q.shapes[i][k] - d) * t), 4));
    const growing = p.shapes.map((shape, i) => shape.filter((d, k) => q.shapes[i][k] !== d).length);
    const largest = Math.max(0, ...bytes);
    return {
      peakBytes: Math.max(0, ...held) + largest,
      largestTensorBytes: largest,
      largestRowsTensorBytes: Math.max(0, ...bytes.filter((_, i) => growing[i] <= 1)),
    };
  };
}

/** Bytes of the heads' tensors a step holds at once, whatever its batch. */
export const headsFootprint = (dims: ScratchDims): number => headCopies * 4 * (dims.image + dims.text) * dims.joint;

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;

/** The largest multiple of 64 below `batch` whose `bytes` stay within `limit` (footprints grow with the batch), or 0. */
function largestFitting(batch: number, bytes: (b: number) => number, limit: number): number {
  let [lo, hi] = [0, Math.floor(batch / 64)];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (bytes(mid * 64) <= limit) lo = mid;
    else hi = mid;
  }
  return lo * 64;
}

/** What to do instead: a batch that fits, or, where none does, smaller heads. */
const advice = (fits: number, other: string) =>
  fits > 0 ? `use batchSize ${fits} or less${other}` : `no batch of 64 or more fits; use a smaller jointDim${other}`;

/** How the run's steps are to run at its batch, and what was changed to make them fit. */
export interface BatchFit {
  /** On webgpu, the most bytes a block of logits may take; absent: the adapter's binding limit. */
  logitBytes?: number;
  /** One line for each change, for the user. */
  notes: string[];
}

/**
 * On webgpu, the largest blocks of logits a step at `batch` runs in without the GPU running out of
 * memory: a scratch step with the blocks the binding limit allows, then, while the GPU runs out of
 * memory, with blocks of half as many rows. The run's own heads are not touched: a step that ran
 * out of memory may have updated them with what it could not compute.
 */
export async function fitLogitBlocks(
  batch: number,
  dims: ScratchDims,
  s: StepSettings,
  source: string,
): Promise<BatchFit> {
  const notes: string[] = [];
  // The pair terms' stack is the step's largest: four B x B matrices, a block of them 4 x rows x B floats.
  const rowsOf = (bytes: number) => blockRowsWithin(bytes, 4, batch);
  const bytesOf = (rows: number) => 4 * 4 * rows * batch;
  let bytes = bytesOf(rowsOf(bindingLimit()));
  for (;;) {
    try {
      await withScratchStep(batch, dims, { ...s, logitBytes: bytes }, (step) => step());
      return notes.length ? { logitBytes: bytes, notes } : { notes };
    } catch (err) {
      if (!(err instanceof StepDeviceError) || err.device.kind !== 'out of memory') throw err;
      // tfjs pooled the failed step's buffers, those it could not make among them.
      releasePooledBuffers();
      const rows = rowsOf(bytes);
      if (rows === 1)
        throw new InputError(
          source,
          `batchSize ${batch} does not fit this GPU's memory even with its logits in blocks of 1 row (${err.device.message}); use a smaller batchSize`,
        );
      bytes = bytesOf(Math.floor(rows / 2));
      notes.push(
        `the GPU ran out of memory in a step at batch ${batch} with its logits in blocks of ${rows} rows; the run uses blocks of ${rowsOf(bytes)}`,
      );
    }
  }
}

/**
 * Throws an InputError naming `source` when a step at `batch` would not fit the active backend;
 * on webgpu, says how its steps fit (fitLogitBlocks).
 */
export async function checkBatchFits(
  batch: number,
  dims: ScratchDims,
  s: StepSettings,
  source: string,
): Promise<BatchFit> {
  if (batch < checkFrom.batch && Math.max(dims.image, dims.text, dims.joint) < checkFrom.dim) return { notes: [] };
  const backend = tf.getBackend();
  if (backend !== 'webgpu' && backend !== 'wasm') return { notes: [] };
  // Heads too large for any batch would also sink the probe steps: said before they run.
  const head = 4 * Math.max(dims.image, dims.text) * dims.joint;
  const heads = headsFootprint(dims);
  if (backend === 'webgpu' && head > bindingLimit()) {
    throw new InputError(
      source,
      `a head of ${Math.max(dims.image, dims.text)} x ${dims.joint} is ${mib(head)}, over this GPU's binding limit of ${mib(bindingLimit())}; use a smaller jointDim, or another backend`,
    );
  }
  if (backend === 'wasm' && heads > wasmHeapBytes) {
    throw new InputError(
      source,
      `heads of ${dims.image} and ${dims.text} x ${dims.joint} need about ${mib(heads)} with their gradients and AdamW moments, over the wasm backend's 4 GiB heap; use a smaller jointDim`,
    );
  }
  const model = await footprintModel(dims, s);
  const f = model(batch);
  if (backend === 'webgpu' && f.largestRowsTensorBytes > bindingLimit()) {
    const fits = largestFitting(batch, (b) => model(b).largestRowsTensorBytes, bindingLimit());
    throw new InputError(
      source,
      `batchSize ${batch} does not fit this GPU: a step's largest tensor of rows would be ${mib(f.largestRowsTensorBytes)}, over the adapter's binding limit of ${mib(bindingLimit())}; ${advice(fits, ', or another backend')}`,
    );
  }
  if (backend === 'wasm' && f.peakBytes > wasmHeapBytes) {
    const fits = largestFitting(batch, (b) => model(b).peakBytes, wasmHeapBytes);
    throw new InputError(
      source,
      `batchSize ${batch} does not fit the wasm backend: a step would hold about ${mib(f.peakBytes)} (estimated from steps at batch ${probeBatches.join(', ')}), over its 4 GiB heap; ${advice(fits, '')}`,
    );
  }
  return backend === 'webgpu' ? fitLogitBlocks(batch, dims, s, source) : { notes: [] };
}
