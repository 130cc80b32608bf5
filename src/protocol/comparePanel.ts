/**
 * Comparing 2 to 8 checkpoints. The worker returns CompareData (everything that does not depend on
 * the baseline); the host turns it into a CompareSnapshot for the chosen baseline and sends the
 * webview that full snapshot, never deltas, so changing the baseline costs no re-analysis.
 */
import type { AnalysisResult } from '../core/metrics/types';
import type { ChartInfo, HostToViewExport, ViewToHostExport } from './export';
import type { Better } from './metricInfo';

export const minCompared = 2;
export const maxCompared = 8;

/** The view's charts, in page order. */
export const compareCharts = [
  { id: 'plane', title: 'Uniformity–alignment plane' },
  { id: 'histograms', title: 'Positive vs hardest-negative similarity' },
  { id: 'recall', title: 'Recall at K' },
] as const satisfies readonly ChartInfo[];

export type CompareChart = (typeof compareCharts)[number]['id'];

/** One analysed checkpoint, reduced to what a comparison needs. */
export interface ComparedCheckpoint {
  /** Short unique name: the file name, with the folder when two share a name. */
  name: string;
  files: string[];
  result: AnalysisResult;
  seconds: number;
  warnings: string[];
  /** 0-based rank of the true match per image query / per text query. */
  ranksI2T: Int32Array;
  ranksT2I: Int32Array;
  captions?: string[];
}

/** Positive and hardest-negative (image → text) similarity counts on one set of edges for all. */
export interface SharedHistograms {
  edges: number[];
  positive: number[][];
  hardestNegative: number[][];
}

export interface CompareData {
  checkpoints: ComparedCheckpoint[];
  histograms: SharedHistograms;
  backend: string;
  seconds: number;
}

export type Verdict = 'baseline' | 'better' | 'worse' | 'same';

export interface MetricRow {
  key: string;
  label: string;
  better: Better;
  percent: boolean;
  decimals: number;
  /** One per checkpoint, in order. */
  values: number[];
  /** value − baseline value (0 for the baseline itself). */
  deltas: number[];
  verdicts: Verdict[];
}

export interface RankChangeRow {
  /** 0-based query index (image for image → text, caption for text → image). */
  query: number;
  caption?: string;
  /** 1-based rank of the true match, one per checkpoint. */
  ranks: number[];
}

export interface RankChanges {
  direction: 'i2t' | 't2i';
  /** The largest gains and losses of each checkpoint against the baseline. */
  rows: RankChangeRow[];
  /** Per checkpoint: queries whose rank improved / worsened / stayed, against the baseline. */
  improved: number[];
  worsened: number[];
  unchanged: number[];
  /** How the rows were chosen, said under the table. */
  rule: string;
}

export interface CheckpointSummary {
  name: string;
  files: string[];
  result: AnalysisResult;
  seconds: number;
  warnings: string[];
}

export interface CompareSnapshot {
  title: string;
  checkpoints: CheckpointSummary[];
  baseline: number;
  rows: MetricRow[];
  /** What cannot be compared across these checkpoints, and why (empty when everything can). */
  notComparable: string[];
  histograms: SharedHistograms;
  /** Present only when every checkpoint has the same pairs (same n_image and n_text). */
  rankChanges?: { i2t: RankChanges; t2i: RankChanges };
  backend: string;
  seconds: number;
}

export type HostToCompareView =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'snapshot'; snapshot: CompareSnapshot }
  | { type: 'error'; message: string }
  | HostToViewExport;

export type CompareViewToHost =
  | { type: 'ready' }
  | { type: 'rerun' }
  | { type: 'cancel' }
  | { type: 'setBaseline'; baseline: number }
  | ViewToHostExport;
