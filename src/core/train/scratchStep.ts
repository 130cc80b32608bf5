/** A training step on throwaway heads and a seeded random batch: what benchmarks and memory probes run. */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../util/random';
import { createAdamState, disposeAdamState } from './adamw';
import { createHeads, disposeHeads, normalizeTensorRows } from './heads';
import { drawLambdas, queueStep, type StepSettings } from './step';

export interface ScratchDims {
  image: number;
  text: number;
  joint: number;
}

/** Runs `use` with a function that queues one step at `batch`; heads, optimizer and batch are disposed after. */
export async function withScratchStep<T>(
  batch: number,
  dims: ScratchDims,
  s: StepSettings,
  use: (step: () => Promise<unknown>) => Promise<T>,
): Promise<T> {
  const heads = createHeads(dims.image, dims.text, dims.joint, 1);
  const adam = createAdamState([heads.image, heads.text]);
  const x = tf.tidy(() => normalizeTensorRows(tf.randomNormal([batch, dims.image], 0, 1, 'float32', 1)));
  const y = tf.tidy(() => normalizeTensorRows(tf.randomNormal([batch, dims.text], 0, 1, 'float32', 2)));
  const rng = mulberry32(3);
  try {
    return await use(() => queueStep(heads, adam, x, y, drawLambdas(rng, s.beta, s.weights), s));
  } finally {
    tf.dispose([x, y]);
    disposeHeads(heads);
    disposeAdamState(adam);
  }
}
