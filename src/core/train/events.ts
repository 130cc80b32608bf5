/** What a run reports as it goes (run.jsonl lines and onEvent callbacks) and when it ends. */
import type { SuiteResult } from '../classification/types';
import type { AnalysisResult } from '../metrics/types';
import type { LossTerm, MixTerm } from './termPlan';

/**
 * One optimizer step; `loss` is the one computed before this step's update. Steps count from 1. A
 * non-finite loss (the step that stops a run) is written to run.jsonl as null, JSON having no NaN.
 */
export interface StepEvent {
  type: 'step';
  step: number;
  /** 1-based: the steps of epoch k run between the evaluations of epochs k-1 and k. */
  epoch: number;
  lr: number;
  loss: number;
  components: Partial<Record<LossTerm, number>>;
  lambda: Partial<Record<MixTerm, number>>;
  /** Torch engine: the ranks the global batch was split over. */
  ranks?: number;
  /** Torch engine: training pairs per second over the step, all ranks together. */
  samples_per_s?: number;
}

/** Metrics of the eval split after `epoch` epochs (0: before training). */
export interface EvalEvent {
  type: 'eval';
  epoch: number;
  metrics: AnalysisResult;
  /** The config's evalSuites measured through the heads, in config order (absent without evalSuites). */
  suites?: SuiteResult[];
}

/** Not written to run.jsonl: for progress displays. */
export interface StartEvent {
  type: 'start';
  runDir: string;
  totalSteps: number;
  stepsPerEpoch: number;
  /** Steps already done (a resumed run). */
  firstStep: number;
  /** Notes for the user, a line each: pairs the reader skipped, settings a resume changed, what the run changed to fit the device. */
  notes: string[];
}

export interface CheckpointEvent {
  type: 'checkpoint';
  epoch: number;
  file: string;
  best: boolean;
}

export type RunEvent = StepEvent | EvalEvent | StartEvent | CheckpointEvent;
export type LoggedEvent = StepEvent | EvalEvent;

export interface RunSummary {
  runDir: string;
  status: 'completed' | 'cancelled' | 'diverged';
  /** One line for the user when the run did not complete. */
  message?: string;
  /** Epochs completed, counting those of a resumed run. */
  epochs: number;
  steps: number;
  bestEpoch: number;
  bestMetric: string;
  bestValue: number;
  /** Absent when the run was cancelled before its first checkpoint. */
  lastCheckpoint?: string;
}
