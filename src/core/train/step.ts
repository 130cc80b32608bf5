/** One optimizer step: heads forward, the chosen loss and its gradient, then AdamW. */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/random';
import { deviceErrorLine, withDeviceErrors, type DeviceError } from '../backend/webgpuRung';
import { adamwStep, type AdamState } from './adamw';
import { sampleBeta } from './betaSample';
import { headPass, type Heads } from './heads';
import { trainingLoss, type TrainingLossOptions } from './losses';
import { mixTerms, type LossTerm, type MixTerm } from './termPlan';

/** The loss's settings (but the lambdas, which each step draws) and the optimizer's. */
export interface StepSettings extends Omit<TrainingLossOptions, 'lambdas'> {
  beta: number;
  lr: number;
  weightDecay: number;
}

/** A step the device failed: out of memory, or a kernel it rejected (see deviceErrorLine). */
export class StepDeviceError extends Error {
  constructor(readonly device: DeviceError) {
    super(deviceErrorLine(device, '') + (device.kind === 'out of memory' ? '; use a smaller batchSize' : ''));
  }
}

export interface StepResult {
  loss: number;
  components: Partial<Record<LossTerm, number>>;
  lambda: Partial<Record<MixTerm, number>>;
  /** False when this loss or an earlier one was not finite: the weights were then left as they were. */
  updated: boolean;
}

/** Each weighted term draws its own lambda, in the fixed order of mixTerms, so draws repeat per seed. */
export function drawLambdas(
  rng: Rng,
  beta: number,
  weights: Record<MixTerm, number>,
): Partial<Record<MixTerm, number>> {
  const lambda: Partial<Record<MixTerm, number>> = {};
  for (const term of mixTerms) if (weights[term] !== 0) lambda[term] = sampleBeta(rng, beta, beta);
  return lambda;
}

/**
 * Queues one step on the device and returns its result to come; x and y are the batch's unit input
 * rows (the caller may dispose them once this returns). The loss reported is the one before the
 * update. The update is applied on the device and only while every loss so far was finite (adam's
 * `healthy`), so the caller need not wait for this result before queueing the next step: the GPU
 * runs step t while the CPU encodes step t + 1. The loss's read-back is queued here, ahead of any
 * later step, so the result waits for this step only. On webgpu a device error in the step (out of
 * memory, a kernel over the binding limit) fails the result instead of leaving zeros. Where
 * `s.check` throws, the step stops before its update and queueStep throws that error itself.
 */
export function queueStep(
  heads: Heads,
  adam: AdamState,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  lambda: Partial<Record<MixTerm, number>>,
  s: StepSettings,
): Promise<StepResult> {
  const { value: queued, error } = withDeviceErrors(() =>
    tf.tidy(() => {
      const image = headPass(x, heads.image);
      const text = headPass(y, heads.text);
      const l = trainingLoss(image.z, text.z, { ...s, lambdas: lambda });
      const grads = [image.backward(l.dx), text.backward(l.dy)];
      s.check?.(); // the last look: past here the weights change
      const applied = tf.mul(adam.healthy, tf.cast(tf.isFinite(l.loss), 'float32')) as tf.Scalar;
      adamwStep([heads.image, heads.text], grads, adam, s.lr, s.weightDecay, applied);
      adam.healthy.assign(applied);
      return { values: tf.concat([l.values, tf.reshape(applied, [1])]), terms: l.terms };
    }),
  );
  const read = queued.values.data();
  return Promise.all([read, error])
    .then(([values, deviceError]) => {
      if (deviceError) throw new StepDeviceError(deviceError);
      const components: Partial<Record<LossTerm, number>> = {};
      queued.terms.forEach((t, i) => (components[t] = values[i + 1]));
      return { loss: values[0], components, lambda, updated: values[values.length - 1] === 1 };
    })
    .finally(() => queued.values.dispose());
}
