/** Optimizer steps per second of the full m3-Mix loss (CLIP + all four mixup terms) on random unit features. */
import * as tf from '@tensorflow/tfjs-core';
import { fusedKeyPrefix } from './webgpuKernel';
import { withScratchStep } from './scratchStep';
import type { StepSettings } from './step';

export interface TrainBenchOptions {
  batchSize: number;
  dim: number;
  /** Timed steps, after one untimed warm-up step. */
  steps: number;
  /**
   * Queue each step before reading the previous one's loss, as the trainer does (default); false
   * waits for each step's loss first, which leaves the GPU idle while the CPU queues the next step.
   */
  overlap: boolean;
}

/**
 * Matrix-product FLOPs of one step: two heads (forward x W, backward x^T dp), six B x B similarity
 * matrices (clip, m2-Mix twice, V, L, VL) each with two gradient products. Element-wise work is not counted.
 */
export function trainStepFlops(b: number, d: number): number {
  return 2 * (2 * 2 * b * d * d) + 6 * (3 * 2 * b * b * d);
}

/** The benchmark's loss: CLIP and all four mixup terms. */
const benchSettings: StepSettings = {
  tau: 0.01,
  tauM: 0.07,
  beta: 0.5,
  weights: { m2mix: 0.1, vmix: 0.05, lmix: 0.05, vlmix: 0.05 },
  lr: 1e-4,
  weightDecay: 0.2,
};

/** The benchmark's step at its options' batch and dimension (heads D x D), disposed after `use`. */
async function withBenchStep<T>(
  opts: Partial<TrainBenchOptions>,
  use: (step: () => Promise<unknown>, o: TrainBenchOptions) => Promise<T>,
): Promise<T> {
  const o = { batchSize: 128, dim: 512, steps: 20, overlap: true, ...opts };
  return withScratchStep(o.batchSize, { image: o.dim, text: o.dim, joint: o.dim }, benchSettings, (step) =>
    use(step, o),
  );
}

/**
 * Steps per second, and the CPU time spent queueing a step (the synchronous part of queueStep): on
 * a GPU, a rate near 1000 / queueMs says the step waits on the CPU, a lower one on the device.
 */
export async function benchTrainStep(
  opts: Partial<TrainBenchOptions> = {},
): Promise<{ stepsPerSecond: number; gflops: number; queueMs: number }> {
  return withBenchStep(opts, async (step, o) => {
    await step();
    const start = performance.now();
    let queueMs = 0;
    let previous: Promise<unknown> | undefined;
    for (let i = 0; i < o.steps; i++) {
      const queued = performance.now();
      const next = step();
      queueMs += performance.now() - queued;
      if (o.overlap) await previous;
      else await next;
      previous = next;
    }
    await previous;
    const stepsPerSecond = o.steps / ((performance.now() - start) / 1000);
    return {
      stepsPerSecond,
      gflops: (trainStepFlops(o.batchSize, o.dim) * stepsPerSecond) / 1e9,
      queueMs: queueMs / o.steps,
    };
  });
}

/** The one method of tfjs-backend-webgpu every dispatch goes through, its kernels' and the fused ones'. */
interface DispatchingBackend {
  runWebGPUProgram(program: { shaderKey?: string; constructor: { name: string } }, ...rest: unknown[]): unknown;
}

/**
 * One step (after a warm-up) under tf.profile: each tfjs kernel it ran with the time the backend's
 * timer gives it (on webgpu, GPU timestamp queries where the adapter has them), and the step's wall
 * time (the fused kernels under their shader keys). On webgpu also its dispatches by program:
 * tf.profile does not see the programs a kernel runs inside (Unpack and SplitV run a slice per output).
 */
export async function profileTrainStep(
  opts: Partial<TrainBenchOptions> = {},
): Promise<{ wallMs: number; kernels: { name: string; ms: number }[]; dispatches: Map<string, number> }> {
  return withBenchStep(opts, async (step) => {
    await step();
    const dispatches = new Map<string, number>();
    const backend = tf.backend() as unknown as Partial<DispatchingBackend>;
    const run = backend.runWebGPUProgram;
    // An own property over the prototype's method, deleted after the step.
    if (run) {
      backend.runWebGPUProgram = (program, ...rest) => {
        const name = program.shaderKey?.startsWith(fusedKeyPrefix) ? program.shaderKey : program.constructor.name;
        dispatches.set(name, (dispatches.get(name) ?? 0) + 1);
        return run.call(backend, program, ...rest);
      };
    }
    try {
      const start = performance.now();
      const info = await tf.profile(async () => void (await step()));
      const wallMs = performance.now() - start;
      const kernels = await Promise.all(
        info.kernels.map(async (k) => ({ name: k.name, ms: Number(await k.kernelTimeMs) || 0 })),
      );
      return { wallMs, kernels, dispatches };
    } finally {
      if (run) delete backend.runWebGPUProgram;
    }
  });
}
