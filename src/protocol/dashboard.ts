/**
 * Messages between the extension host and the training dashboard webview. The host sends the whole
 * run as one snapshot each time (never deltas), at most a few times a second.
 */
import type { LossTerm } from '../core/train/termPlan';
import type { TrainEngine } from '../core/train/trainConfig';
import type { ChartInfo, HostToViewExport, ViewToHostExport } from './export';

/** The view's charts, in page order. */
export const dashboardCharts = [
  { id: 'loss', title: 'Loss per step' },
  { id: 'lr', title: 'Learning rate' },
  { id: 'recall', title: 'R@1 of the eval split' },
  { id: 'geometry', title: 'Uniformity and alignment' },
  { id: 'hardNegative', title: 'Hardest-negative alignment and modality gap' },
  { id: 'suites', title: 'Zero-shot accuracy of the eval suites' },
] as const satisfies readonly ChartInfo[];

export type DashboardChart = (typeof dashboardCharts)[number]['id'];

/** idle: a config that has not run yet; starting: reading the data and evaluating epoch 0. */
export type RunStatus = 'idle' | 'starting' | 'running' | 'completed' | 'cancelled' | 'diverged' | 'failed';

/** Per-step series, column-wise; long runs keep every `stride`-th step so a snapshot stays small. */
export interface StepSeries {
  stride: number;
  step: number[];
  lr: number[];
  /** Total loss; null where it was not finite (JSON has no NaN). */
  loss: (number | null)[];
  /** Each loss term the run uses, aligned with `step`. */
  components: Partial<Record<LossTerm, (number | null)[]>>;
}

/** Eval-split metrics per epoch (0: before training), column-wise. */
export interface EvalSeries {
  epoch: number[];
  uniformity: number[];
  alignment: number[];
  hardestNegativeAlignmentI2t: number[];
  hardestNegativeAlignmentT2i: number[];
  modalityGap: number[];
  r1I2t: number[];
  r1T2i: number[];
  /** The run's evalSuites, each aligned with `epoch` (null before the suite was first measured). */
  suites?: SuiteSeries[];
}

/** One eval suite's top-1 (%) per epoch: its in-distribution set and the mean over its shifted sets. */
export interface SuiteSeries {
  name: string;
  idTop1: (number | null)[];
  oodMean: (number | null)[];
}

/** What ran the steps: the engine and its device in words ("wasm", "2 × NVIDIA H200"). */
export interface RunEngine {
  engine: TrainEngine;
  device: string;
}

export interface DashboardSnapshot {
  name: string;
  configFile: string;
  runDir?: string;
  status: RunStatus;
  /** One line: why the run stopped, or what failed. */
  message?: string;
  /** The run's notes, a line each (see StartEvent). */
  notes?: string[];
  step: number;
  totalSteps: number;
  epochs: number;
  steps: StepSeries;
  evals: EvalSeries;
  bestEpoch?: number;
  /** best.safetensors, once written. */
  bestCheckpoint?: string;
  /** Absent until known (a run replayed from its folder does not say). */
  engine?: RunEngine;
  /** Processes of the latest step (torch engine). */
  ranks?: number;
  /** Training samples a second over all ranks, at the latest step (torch engine). */
  samplesPerSecond?: number;
}

export type HostToDashboard = { type: 'snapshot'; snapshot: DashboardSnapshot } | HostToViewExport;

export type DashboardToHost =
  { type: 'ready' } | { type: 'cancel' } | { type: 'openBest' } | { type: 'run' } | ViewToHostExport;
