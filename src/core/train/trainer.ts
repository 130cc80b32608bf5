/**
 * An m2-Mix fine-tuning run: heads on frozen features, trained with the configured loss, the eval
 * split measured before training and after every epoch. Resuming restores the head weights, the
 * AdamW moments and the step count from the last epoch checkpoint; the batch order and lambdas are
 * seeded per epoch, so a resumed run repeats the uninterrupted one (given the same config: a changed
 * epoch count reshapes the learning-rate schedule from the resumed step on).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { throwIfCancelled, type CancelToken } from '../util/cancel';
import type { Checkpoint } from '../readers/checkpoint';
import { CancelledError, InputError } from '../util/errors';
import { analyze } from '../metrics/analyze';
import type { AnalysisResult } from '../metrics/types';
import { mulberry32, type Rng } from '../util/random';
import { readCheckpoint } from '../readers';
import { readTrainingPairs } from '../classification/classPairs';
import { loadEpochSuites, measureEpochSuites } from '../classification/epochSuites';
import { afterDeviceLoss } from '../backend/webgpuRung';
import { createAdamState, disposeAdamState, type AdamState } from './adamw';
import { checkBatchFits } from './batchFit';
import { isBetter, metricValue } from './bestMetric';
import { activeWeights, recordedConfigWithDefaults, type TrainConfig } from './config';
import type { EvalEvent, RunEvent, RunSummary, StepEvent } from './events';
import { UnitRows } from './features';
import { createHeads, disposeHeads, headsFrom, type Heads, type WeightArray } from './heads';
import { mixTerms, type MixTerm } from './termPlan';
import {
  appendLog,
  bestName,
  checkpointName,
  lastCheckpointEpoch,
  makeRunFolder,
  readCheckpointState,
  refuseTakenRunFolder,
  trimLog,
  writeCheckpoint,
  type CheckpointState,
  type EvalEmbeddings,
} from './runFolder';
import { cosineWithWarmup, warmupSteps } from './schedule';
import { drawLambdas, queueStep, type StepResult } from './step';

export interface TrainHooks {
  token?: CancelToken;
  onEvent?: (e: RunEvent) => void;
}

/** Per-epoch streams, so any epoch's batches and lambdas can be replayed without the ones before it. */
const epochRng = (seed: number, epoch: number, stream: number): Rng => mulberry32((seed ^ Math.imul(epoch * 2 + stream + 1, 0x9e3779b1)) >>> 0);

/** Training pairs: one caption per image and epoch, drawn at random when images have several. */
class PairSampler {
  readonly images: number[] = [];
  private readonly captions: number[][] = [];
  constructor(ckpt: Checkpoint) {
    const byImage = Array.from({ length: ckpt.image.rows }, (_, i) => (ckpt.textToImage ? [] : [i]));
    ckpt.textToImage?.forEach((img, k) => byImage[img].push(k));
    byImage.forEach((c, i) => {
      if (c.length === 0) return;
      this.images.push(i);
      this.captions.push(c);
    });
  }
  get size(): number {
    return this.images.length;
  }
  /** A seeded shuffle of (image, text) pairs for one epoch. */
  epoch(rng: Rng): { image: Int32Array; text: Int32Array } {
    const order = Int32Array.from({ length: this.size }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const text = order.map((p) => this.captions[p][Math.floor(rng() * this.captions[p].length)]);
    return { image: order.map((p) => this.images[p]), text };
  }
}

async function weightsOf(v: tf.Tensor): Promise<WeightArray> {
  return { shape: v.shape as [number, number], data: (await v.data()) as Float32Array };
}

function checkDims(config: TrainConfig, trainSet: Checkpoint, evalSet: Checkpoint): number {
  const [di, dt] = [trainSet.image.cols, trainSet.text.cols];
  if (evalSet.image.cols !== di || evalSet.text.cols !== dt) {
    throw new InputError(config.eval.join(' + '), `dimensions image ${evalSet.image.cols}, text ${evalSet.text.cols} differ from the training set's ${di}, ${dt}`);
  }
  return config.jointDim ?? Math.min(di, dt);
}

/** Settings a resumed run changed since its checkpoint was written, as a note (the run goes on with the new ones). */
function resumeNotes(resumed: CheckpointState, config: TrainConfig): string[] {
  const file = checkpointName(resumed.epoch);
  let before: Record<string, unknown>;
  try {
    before = recordedConfigWithDefaults(JSON.parse(resumed.config ?? '') as Record<string, unknown>);
  } catch {
    return [`${file} does not record its settings: resumed with the ones given now`];
  }
  const now = config as unknown as Record<string, unknown>;
  // Keys sorted: a config file and flags give the weights in different orders.
  const canonical = (v: unknown): string | undefined =>
    JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
  const changed = Object.keys(now)
    .filter((k) => k !== 'resume' && canonical(before[k]) !== canonical(now[k]))
    .map((k) => `${k} ${canonical(before[k]) ?? 'unset'} → ${canonical(now[k])}`);
  const notes = changed.length > 0 ? [`resumed with settings changed since ${file}: ${changed.join(', ')}`] : [];
  if (config.epochs <= resumed.epoch) notes.push(`${file} already ends epoch ${resumed.epoch} of the ${config.epochs} asked for: nothing to train`);
  return notes;
}

export async function train(config: TrainConfig, hooks: TrainHooks = {}): Promise<RunSummary> {
  const { token, onEvent } = hooks;
  const runDir = path.join(config.out, config.name);
  await refuseTakenRunFolder(runDir, config.resume);
  const trainSet = await readTrainingPairs(config.train, { token });
  const evalSet = await readCheckpoint(config.eval, { token });
  const jointDim = checkDims(config, trainSet, evalSet);
  const [trainFiles, evalFiles] = [config.train.join(' + '), config.eval.join(' + ')];
  const trainX = new UnitRows(trainSet.image, trainFiles, 'image');
  const trainY = new UnitRows(trainSet.text, trainFiles, 'text');
  const evalX = new UnitRows(evalSet.image, evalFiles, 'image');
  const evalY = new UnitRows(evalSet.text, evalFiles, 'text');
  const suites = await loadEpochSuites(config.evalSuites, { image: trainSet.image.cols, text: trainSet.text.cols }, token);
  const sampler = new PairSampler(trainSet);
  if (sampler.size < 2) throw new InputError(trainFiles, `needs at least 2 pairs to train, has ${sampler.size}`);
  // Not clamped: the batch is the contrastive loss's set of negatives, so a smaller one is another objective.
  if (config.batchSize > sampler.size) {
    const pairs = trainSet.textToImage ? `${sampler.size} pairs an epoch draws (one caption per image)` : `${sampler.size} training pairs`;
    throw new InputError(trainFiles, `batchSize ${config.batchSize} is larger than the ${pairs}`);
  }
  const batch = config.batchSize;
  const stepsPerEpoch = Math.floor(sampler.size / batch);
  const totalSteps = stepsPerEpoch * config.epochs;
  const warmup = warmupSteps(totalSteps, config.warmup);
  const base = { tau: config.tau, tauM: config.tauM, beta: config.beta, lr: config.lr, weightDecay: config.weightDecay };
  const fit = await checkBatchFits(batch, { image: trainSet.image.cols, text: trainSet.text.cols, joint: jointDim }, { ...base, weights: activeWeights(config) }, runDir);
  const settings = { ...base, logitBytes: fit.logitBytes };
  // Between a long step's products too (wasm, cpu): see TermsOptions.check.
  const check = () => throwIfCancelled(token);
  await makeRunFolder(runDir);

  const resumeEpoch = config.resume ? await lastCheckpointEpoch(runDir) : undefined;
  const resumed = resumeEpoch === undefined ? undefined : await readCheckpointState(path.join(runDir, checkpointName(resumeEpoch)));
  if (resumed && (resumed.image.shape.join() !== [trainSet.image.cols, jointDim].join() || resumed.text.shape.join() !== [trainSet.text.cols, jointDim].join())) {
    throw new InputError(path.join(runDir, checkpointName(resumed.epoch)), 'its heads do not fit this config\'s dimensions');
  }
  const notes = [
    ...new Set([...trainSet.warnings.map((w) => `${trainFiles}: ${w}`), ...evalSet.warnings.map((w) => `${evalFiles}: ${w}`)]),
    ...(resumed ? resumeNotes(resumed, config) : []),
    ...fit.notes,
  ];
  const heads: Heads = resumed ? headsFrom(resumed.image, resumed.text) : createHeads(trainSet.image.cols, trainSet.text.cols, jointDim, config.seed);
  const adam: AdamState = createAdamState([heads.image, heads.text], resumed?.step ?? 0, resumed && tf.tidy(() => ({
    m: resumed.adam.m.map((w) => tf.tensor2d(w.data, w.shape)),
    v: resumed.adam.v.map((w) => tf.tensor2d(w.data, w.shape)),
  })));

  let epoch = resumed?.epoch ?? 0;
  let best: { epoch: number; value: number } | undefined;
  const configJson = JSON.stringify(config);

  let lastLambda: Partial<Record<MixTerm, number>> | undefined;
  /** Measures the heads as they stand as epoch `at`, logs it, and writes its checkpoint (and best). */
  const evaluate = async (at: number): Promise<void> => {
    const embeddings: EvalEmbeddings = { image: await evalX.project(heads.image), text: await evalY.project(heads.text), textToImage: evalSet.textToImage };
    const { result } = await analyze({ files: config.eval, ...embeddings, warnings: [] }, { token });
    const suiteResults = suites.length ? await measureEpochSuites(suites, heads, token) : undefined;
    const ev: EvalEvent = { type: 'eval', epoch: at, metrics: result, ...(suiteResults && { suites: suiteResults }) };
    await appendLog(runDir, [ev]);
    onEvent?.(ev);
    const state = {
      epoch: at,
      step: adam.step,
      image: await weightsOf(heads.image),
      text: await weightsOf(heads.text),
      adam: { m: await Promise.all(adam.m.map(weightsOf)), v: await Promise.all(adam.v.map(weightsOf)) },
    };
    // The λ of the epoch's last step: the mix the sphere view draws for a run checkpoint.
    const metadata = { config: configJson, metrics: JSON.stringify(result), ...(lastLambda && { lambda: JSON.stringify(lastLambda) }) };
    const file = path.join(runDir, checkpointName(at));
    await writeCheckpoint(file, state, embeddings, metadata);
    const value = metricValue(result, config.bestMetric, suiteResults);
    const isBest = isBetter(config.bestMetric, value, best?.value);
    if (isBest) {
      best = { epoch: at, value };
      await writeCheckpoint(path.join(runDir, bestName), state, embeddings, metadata);
    }
    onEvent?.({ type: 'checkpoint', epoch: at, file, best: isBest });
  };

  /** False when the evaluation was cancelled: a cancel during the analysis ends the run like one between steps. */
  const evaluated = (at: number): Promise<boolean> =>
    evaluate(at).then(
      () => true,
      (err: unknown) => {
        if (err instanceof CancelledError) return false;
        throw err;
      },
    );

  /** `checkpointed`: false when the run ended before its first checkpoint was written. */
  const summary = (status: RunSummary['status'], message?: string, steps = adam.step, checkpointed = true): RunSummary => ({
    runDir,
    status,
    message,
    epochs: epoch,
    steps,
    bestEpoch: best?.epoch ?? epoch,
    bestMetric: config.bestMetric,
    bestValue: best?.value ?? NaN,
    ...(checkpointed && { lastCheckpoint: path.join(runDir, checkpointName(epoch)) }),
  });

  try {
    if (resumed) {
      for (const e of await trimLog(runDir, resumed.epoch)) {
        if (e.type !== 'eval') continue;
        const value = metricValue(e.metrics as AnalysisResult, config.bestMetric, e.suites);
        if (isBetter(config.bestMetric, value, best?.value)) best = { epoch: e.epoch, value };
      }
    } else {
      // A resume that found no checkpoint starts over: drop what a killed first epoch logged.
      await trimLog(runDir, -1);
      if (!(await evaluated(0))) return summary('cancelled', 'cancelled while evaluating the heads before training; no checkpoint was written', adam.step, false);
    }
    onEvent?.({ type: 'start', runDir, totalSteps, stepsPerEpoch, firstStep: adam.step, notes });
    const baseWeights = activeWeights(config);
    while (epoch < config.epochs) {
      const order = epochRng(config.seed, epoch, 0);
      const lambdaRng = epochRng(config.seed, epoch, 1);
      const pairs = sampler.epoch(order);
      // The reference scripts' optional 1/(epoch+1), epoch counted from 0.
      const scale = config.scaleMixupByEpoch ? 1 / (epoch + 1) : 1;
      const weights = Object.fromEntries(mixTerms.map((t) => [t, baseWeights[t] * scale])) as Record<MixTerm, number>;
      const logged: StepEvent[] = [];
      // One step in flight: step s + 1 is queued before step s's loss is read back (see queueStep).
      let inFlight: { step: number; lr: number; result: Promise<StepResult> } | undefined;
      /** Logs the step in flight; a diverged run's summary when its loss was not finite. */
      const settle = async (): Promise<RunSummary | undefined> => {
        if (!inFlight) return undefined;
        const { step, lr, result } = inFlight;
        inFlight = undefined;
        const r = await result.catch((err: Error) => {
          throw Object.assign(new Error(`step ${step}: ${err.message}`), { cause: err });
        });
        const ev: StepEvent = { type: 'step', step, epoch: epoch + 1, lr, loss: r.loss, components: r.components, lambda: r.lambda };
        logged.push(ev);
        onEvent?.(ev);
        if (r.updated) return undefined;
        await appendLog(runDir, logged);
        return summary('diverged', `step ${step}: the loss is ${r.loss}; stopped, the last good checkpoint is ${checkpointName(epoch)}`, step - 1);
      };
      /** The run ended before the step after adam.step, the one in flight logged first. */
      const cancelled = async (): Promise<RunSummary> => {
        const diverged = await settle();
        if (diverged) return diverged;
        await appendLog(runDir, logged);
        return summary('cancelled', `cancelled at step ${adam.step + 1}; the last checkpoint is ${checkpointName(epoch)}`);
      };
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (token?.isCancellationRequested) return cancelled();
        const lr = cosineWithWarmup(config.lr, adam.step, totalSteps, warmup);
        const lambda = drawLambdas(lambdaRng, config.beta, weights);
        lastLambda = lambda;
        const x = trainX.batch(pairs.image.subarray(s * batch, (s + 1) * batch));
        const y = trainY.batch(pairs.text.subarray(s * batch, (s + 1) * batch));
        const step = adam.step + 1;
        let result: Promise<StepResult>;
        try {
          result = queueStep(heads, adam, x, y, lambda, { ...settings, weights, lr, check });
        } catch (err) {
          // Stopped inside the step, before its update: the run ends as if cancelled before it.
          if (err instanceof CancelledError) return cancelled();
          throw err;
        } finally {
          x.dispose();
          y.dispose();
        }
        const queued = { step, lr, result };
        // Handled here too, so a failure of this read while the previous one is awaited is not an unhandled rejection.
        queued.result.catch(() => undefined);
        const diverged = await settle();
        inFlight = queued;
        if (diverged) {
          // The step queued behind the bad one was gated off on the device; only its read-back is left.
          await queued.result.catch(() => undefined);
          return diverged;
        }
        // Yield to the event loop so a cancel request (a message, a signal) can arrive between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const diverged = await settle();
      if (diverged) return diverged;
      await appendLog(runDir, logged);
      if (!(await evaluated(epoch + 1))) {
        return summary('cancelled', `cancelled while evaluating epoch ${epoch + 1}, which has no checkpoint; the last checkpoint is ${checkpointName(epoch)}`);
      }
      epoch++;
    }
    return summary('completed');
  } catch (err) {
    throw (err instanceof InputError || err instanceof CancelledError ? undefined : await afterDeviceLoss('training')) ?? err;
  } finally {
    disposeHeads(heads);
    disposeAdamState(adam);
  }
}
