/** One optimizer step: heads forward, the chosen loss and its gradient, then AdamW. */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { adamwStep, type AdamState } from './adamw';
import { sampleBeta } from './betaSample';
import { headPass, type Heads } from './heads';
import { m3mixLoss, mixTerms, type LossTerm, type MixTerm } from './losses';

export interface StepSettings {
  tau: number;
  tauM: number;
  beta: number;
  /** Weight of each mixup term for this step (0 leaves the term out). */
  weights: Record<MixTerm, number>;
  lr: number;
  weightDecay: number;
}

export interface StepResult {
  loss: number;
  components: Partial<Record<LossTerm, number>>;
  lambda: Partial<Record<MixTerm, number>>;
  /** False when the loss was not finite: the weights were then left as they were. */
  updated: boolean;
}

/** Each weighted term draws its own lambda, in the fixed order of mixTerms, so draws repeat per seed. */
export function drawLambdas(rng: Rng, beta: number, weights: Record<MixTerm, number>): Partial<Record<MixTerm, number>> {
  const lambda: Partial<Record<MixTerm, number>> = {};
  for (const term of mixTerms) if (weights[term] !== 0) lambda[term] = sampleBeta(rng, beta, beta);
  return lambda;
}

/**
 * x and y: the batch's unit input rows. The loss reported is the one before the update. The loss is
 * read back with an awaited data() (webgpu in Node cannot serve dataSync), so the gradients are
 * kept across that await and applied only when the loss is finite.
 */
export async function trainStep(heads: Heads, adam: AdamState, x: tf.Tensor2D, y: tf.Tensor2D, lambda: Partial<Record<MixTerm, number>>, s: StepSettings): Promise<StepResult> {
  const forward = tf.tidy(() => {
    const image = headPass(x, heads.image);
    const text = headPass(y, heads.text);
    const l = m3mixLoss(image.z, text.z, { tau: s.tau, tauM: s.tauM, weights: s.weights, lambdas: lambda });
    const terms = Object.keys(l.components) as LossTerm[];
    const values = tf.stack([l.loss, ...terms.map((t) => l.components[t] as tf.Scalar)]);
    return { values, grads: [image.backward(l.dx), text.backward(l.dy)], terms };
  });
  try {
    const values = await forward.values.data();
    const components: Partial<Record<LossTerm, number>> = {};
    forward.terms.forEach((t, i) => (components[t] = values[i + 1]));
    const loss = values[0];
    if (!Number.isFinite(loss)) return { loss, components, lambda, updated: false };
    tf.tidy(() => adamwStep([heads.image, heads.text], forward.grads, adam, s.lr, s.weightDecay));
    return { loss, components, lambda, updated: true };
  } finally {
    tf.dispose([forward.values, ...forward.grads]);
  }
}
