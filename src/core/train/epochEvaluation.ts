/**
 * Measuring the heads as they stand: the eval split's metrics and the eval suites, logged, and
 * written as the epoch's checkpoint, and as best.safetensors when they beat the best so far.
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { measureEpochSuites } from '../classification/epochSuites';
import { analyze } from '../metrics/analyze';
import type { AnalysisResult } from '../metrics/types';
import { CancelledError } from '../util/errors';
import { bestMetricValue, isBetter } from './bestMetric';
import type { EvalEvent, LoggedEvent } from './events';
import type { WeightArray } from './heads';
import {
  appendLog,
  bestName,
  checkpointName,
  writeCheckpoint,
  type CheckpointState,
  type EvalEmbeddings,
} from './runFolder';
import type { TrainingRun } from './trainingRun';

async function weightsOf(v: tf.Tensor): Promise<WeightArray> {
  return { shape: v.shape as [number, number], data: (await v.data()) as Float32Array };
}

/** Measures the heads as they stand as epoch `at`, logs it, and writes its checkpoint (and best). */
async function evaluateAndCheckpoint(run: TrainingRun, at: number): Promise<void> {
  const { config, heads, adam, hooks } = run;
  const embeddings: EvalEmbeddings = {
    image: await run.evalImages.project(heads.image),
    text: await run.evalTexts.project(heads.text),
    textToImage: run.evalTextToImage,
  };
  const { result } = await analyze({ files: config.eval, ...embeddings, warnings: [] }, { token: hooks.token });
  const suiteResults = run.suites.length ? await measureEpochSuites(run.suites, heads, hooks.token) : undefined;
  const ev: EvalEvent = { type: 'eval', epoch: at, metrics: result, ...(suiteResults && { suites: suiteResults }) };
  await appendLog(run.runDir, [ev]);
  hooks.onEvent?.(ev);
  const state: CheckpointState = {
    epoch: at,
    step: adam.step,
    image: await weightsOf(heads.image),
    text: await weightsOf(heads.text),
    adam: { m: await Promise.all(adam.m.map(weightsOf)), v: await Promise.all(adam.v.map(weightsOf)) },
  };
  // The λ of the epoch's last step: the mix the sphere view draws for a run checkpoint.
  const metadata = {
    config: run.configJson,
    metrics: JSON.stringify(result),
    ...(run.lastLambda && { lambda: JSON.stringify(run.lastLambda) }),
  };
  const file = path.join(run.runDir, checkpointName(at));
  await writeCheckpoint(file, state, embeddings, metadata);
  const value = bestMetricValue(result, config.bestMetric, suiteResults);
  const isBest = isBetter(config.bestMetric, value, run.best?.value);
  if (isBest) {
    run.best = { epoch: at, value };
    await writeCheckpoint(path.join(run.runDir, bestName), state, embeddings, metadata);
  }
  hooks.onEvent?.({ type: 'checkpoint', epoch: at, file, best: isBest });
}

/**
 * Evaluates and checkpoints epoch `at`; false when that was cancelled: a cancel during the analysis
 * ends the run like one between steps.
 */
export function evaluateUnlessCancelled(run: TrainingRun, at: number): Promise<boolean> {
  return evaluateAndCheckpoint(run, at).then(
    () => true,
    (err: unknown) => {
      if (err instanceof CancelledError) return false;
      throw err;
    },
  );
}

/** A resumed run's best so far, from the evaluations its log kept. */
export function restoreBestFromLog(run: TrainingRun, events: LoggedEvent[]): void {
  for (const e of events) {
    if (e.type !== 'eval') continue;
    const value = bestMetricValue(e.metrics as AnalysisResult, run.config.bestMetric, e.suites);
    if (isBetter(run.config.bestMetric, value, run.best?.value)) run.best = { epoch: e.epoch, value };
  }
}
