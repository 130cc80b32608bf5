/**
 * The state of one training run, as one object that its setup (trainingRunSetup.ts) fills, the
 * steps of each epoch (epochSteps.ts) and the evaluations (epochEvaluation.ts) advance, and
 * train() (trainer.ts) hands from one to the next.
 */
import * as path from 'node:path';
import type { EpochSuite } from '../classification/epochSuites';
import type { CancelToken } from '../util/cancel';
import { disposeAdamState, type AdamState } from './adamw';
import type { TrainConfig } from './config';
import type { RunEvent, RunSummary } from './events';
import type { UnitRows } from './features';
import { disposeHeads, type Heads } from './heads';
import type { PairSampler } from './epochPairs';
import { checkpointName } from './runFolder';
import type { StepSettings } from './step';
import type { MixTerm } from './termPlan';

export interface TrainHooks {
  token?: CancelToken;
  onEvent?: (e: RunEvent) => void;
}

export interface TrainingRun {
  readonly config: TrainConfig;
  /** JSON of `config`, as each checkpoint records it. */
  readonly configJson: string;
  readonly runDir: string;
  readonly hooks: TrainHooks;

  readonly trainImages: UnitRows;
  readonly trainTexts: UnitRows;
  readonly pairSampler: PairSampler;
  readonly evalImages: UnitRows;
  readonly evalTexts: UnitRows;
  /** The eval split's caption-to-image index (multi-caption sets). */
  readonly evalTextToImage?: Int32Array;
  /** The config's evalSuites, measured through the heads at every evaluation. */
  readonly suites: EpochSuite[];

  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  /** Each mixup term's weight under the config's loss, before the optional per-epoch scaling. */
  readonly mixTermWeights: Record<MixTerm, number>;
  /** What every step shares; each step adds its weights, learning rate and cancel check. */
  readonly stepSettings: Omit<StepSettings, 'weights' | 'check'>;
  /** Lines for the start event: the inputs' warnings, settings a resume changed, batch-fit changes. */
  readonly notes: string[];
  /** The epoch of the checkpoint this run resumed from; undefined for a run from scratch. */
  readonly resumedEpoch?: number;

  readonly heads: Heads;
  readonly adam: AdamState;
  /** Epochs done: the last checkpoint written is epoch `epoch`'s. */
  epoch: number;
  /** The best evaluation so far by the config's bestMetric. */
  best?: { epoch: number; value: number };
  /** The λ of the latest step queued: a checkpoint records its epoch's last, the mix the sphere view draws. */
  lastLambda?: Partial<Record<MixTerm, number>>;
}

/** `checkpointed`: false when the run ended before its first checkpoint was written. */
export function runSummary(
  run: TrainingRun,
  status: RunSummary['status'],
  message?: string,
  steps = run.adam.step,
  checkpointed = true,
): RunSummary {
  return {
    runDir: run.runDir,
    status,
    message,
    epochs: run.epoch,
    steps,
    bestEpoch: run.best?.epoch ?? run.epoch,
    bestMetric: run.config.bestMetric,
    bestValue: run.best?.value ?? NaN,
    ...(checkpointed && { lastCheckpoint: path.join(run.runDir, checkpointName(run.epoch)) }),
  };
}

export function disposeTrainingRun(run: TrainingRun): void {
  disposeHeads(run.heads);
  disposeAdamState(run.adam);
}
