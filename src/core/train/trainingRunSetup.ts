/**
 * Everything a run needs before its first step: the splits read and checked, the batch checked
 * against the device, the run folder, and the heads and AdamW state, fresh or from the last epoch
 * checkpoint of a resumed run.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint } from '../readers/checkpoint';
import { InputError } from '../util/errors';
import { readCheckpoint } from '../readers';
import { readTrainingPairs } from '../classification/classPairs';
import { loadEpochSuites } from '../classification/epochSuites';
import { createAdamState } from './adamw';
import { checkBatchFits } from './batchFit';
import { mixTermWeights, recordedConfigWithDefaults, type TrainConfig } from './config';
import { PairSampler } from './epochPairs';
import { UnitRows } from './features';
import { createHeads, headsFrom } from './heads';
import {
  checkpointName,
  lastCheckpointEpoch,
  makeRunFolder,
  readCheckpointState,
  refuseTakenRunFolder,
  type CheckpointState,
} from './runFolder';
import { warmupSteps } from './schedule';
import type { TrainHooks, TrainingRun } from './trainingRun';

/** The heads' output dimension, once the eval split is known to have the training split's input dimensions. */
function jointDimension(config: TrainConfig, trainSet: Checkpoint, evalSet: Checkpoint): number {
  const [di, dt] = [trainSet.image.cols, trainSet.text.cols];
  if (evalSet.image.cols !== di || evalSet.text.cols !== dt) {
    throw new InputError(
      config.eval.join(' + '),
      `dimensions image ${evalSet.image.cols}, text ${evalSet.text.cols} differ from the training set's ${di}, ${dt}`,
    );
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
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
        : x,
    );
  const changed = Object.keys(now)
    .filter((k) => k !== 'resume' && canonical(before[k]) !== canonical(now[k]))
    .map((k) => `${k} ${canonical(before[k]) ?? 'unset'} → ${canonical(now[k])}`);
  const notes = changed.length > 0 ? [`resumed with settings changed since ${file}: ${changed.join(', ')}`] : [];
  if (config.epochs <= resumed.epoch)
    notes.push(`${file} already ends epoch ${resumed.epoch} of the ${config.epochs} asked for: nothing to train`);
  return notes;
}

/** Reads and checks the run's inputs and makes its folder; the caller disposes the run (disposeTrainingRun). */
export async function setUpTrainingRun(config: TrainConfig, hooks: TrainHooks): Promise<TrainingRun> {
  const { token } = hooks;
  const runDir = path.join(config.out, config.name);
  await refuseTakenRunFolder(runDir, config.resume);
  const trainSet = await readTrainingPairs(config.train, { token });
  const evalSet = await readCheckpoint(config.eval, { token });
  const jointDim = jointDimension(config, trainSet, evalSet);
  const [trainFiles, evalFiles] = [config.train.join(' + '), config.eval.join(' + ')];
  const trainImages = new UnitRows(trainSet.image, trainFiles, 'image');
  const trainTexts = new UnitRows(trainSet.text, trainFiles, 'text');
  const evalImages = new UnitRows(evalSet.image, evalFiles, 'image');
  const evalTexts = new UnitRows(evalSet.text, evalFiles, 'text');
  const suites = await loadEpochSuites(
    config.evalSuites,
    { image: trainSet.image.cols, text: trainSet.text.cols },
    token,
  );
  const pairSampler = new PairSampler(trainSet);
  if (pairSampler.size < 2)
    throw new InputError(trainFiles, `needs at least 2 pairs to train, has ${pairSampler.size}`);
  // Not clamped: the batch is the contrastive loss's set of negatives, so a smaller one is another objective.
  if (config.batchSize > pairSampler.size) {
    const pairs = trainSet.textToImage
      ? `${pairSampler.size} pairs an epoch draws (one caption per image)`
      : `${pairSampler.size} training pairs`;
    throw new InputError(trainFiles, `batchSize ${config.batchSize} is larger than the ${pairs}`);
  }
  const stepsPerEpoch = Math.floor(pairSampler.size / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const weights = mixTermWeights(config);
  const lossAndOptimizer = {
    tau: config.tau,
    tauM: config.tauM,
    beta: config.beta,
    lr: config.lr,
    weightDecay: config.weightDecay,
  };
  const fit = await checkBatchFits(
    config.batchSize,
    { image: trainSet.image.cols, text: trainSet.text.cols, joint: jointDim },
    { ...lossAndOptimizer, weights },
    runDir,
  );
  await makeRunFolder(runDir);

  const lastEpoch = config.resume ? await lastCheckpointEpoch(runDir) : undefined;
  const resumed =
    lastEpoch === undefined ? undefined : await readCheckpointState(path.join(runDir, checkpointName(lastEpoch)));
  if (
    resumed &&
    (resumed.image.shape.join() !== [trainSet.image.cols, jointDim].join() ||
      resumed.text.shape.join() !== [trainSet.text.cols, jointDim].join())
  ) {
    throw new InputError(
      path.join(runDir, checkpointName(resumed.epoch)),
      "its heads do not fit this config's dimensions",
    );
  }
  const notes = [
    ...new Set([
      ...trainSet.warnings.map((w) => `${trainFiles}: ${w}`),
      ...evalSet.warnings.map((w) => `${evalFiles}: ${w}`),
    ]),
    ...(resumed ? resumeNotes(resumed, config) : []),
    ...fit.notes,
  ];
  const heads = resumed
    ? headsFrom(resumed.image, resumed.text)
    : createHeads(trainSet.image.cols, trainSet.text.cols, jointDim, config.seed);
  const adam = createAdamState(
    [heads.image, heads.text],
    resumed?.step ?? 0,
    resumed &&
      tf.tidy(() => ({
        m: resumed.adam.m.map((w) => tf.tensor2d(w.data, w.shape)),
        v: resumed.adam.v.map((w) => tf.tensor2d(w.data, w.shape)),
      })),
  );
  return {
    config,
    configJson: JSON.stringify(config),
    runDir,
    hooks,
    trainImages,
    trainTexts,
    pairSampler,
    evalImages,
    evalTexts,
    evalTextToImage: evalSet.textToImage,
    suites,
    stepsPerEpoch,
    totalSteps,
    warmupSteps: warmupSteps(totalSteps, config.warmup),
    mixTermWeights: weights,
    stepSettings: { ...lossAndOptimizer, logitBytes: fit.logitBytes },
    notes,
    resumedEpoch: resumed?.epoch,
    heads,
    adam,
    epoch: resumed?.epoch ?? 0,
  };
}
