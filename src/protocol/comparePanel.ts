/**
 * Comparing 2 to 8 checkpoints. The worker returns CompareData (everything that does not depend on
 * the baseline); the host turns it into a CompareSnapshot for the chosen baseline and sends the
 * webview that full snapshot, never deltas, so changing the baseline costs no re-analysis.
 */
import type { SuiteResult } from '../core/classification/types';
import type { AnalysisResult } from '../core/metrics/types';
import type { ChartInfo, HostToViewExport, ViewToHostExport } from './export';
import type { Better } from './metricInfo';

export const minCompared = 2;
export const maxCompared = 8;

/** The charts of a comparison of retrieval checkpoints, in page order. */
const retrievalCompareCharts = [
  { id: 'plane', title: 'Uniformity–alignment plane' },
  { id: 'histograms', title: 'Positive vs hardest-negative similarity' },
  { id: 'recall', title: 'Recall at K' },
] as const satisfies readonly ChartInfo[];

/** The chart of a comparison of classification suites. */
const suiteCompareCharts = [
  { id: 'robustness', title: 'Robustness: shifted against in-distribution top-1 accuracy' },
] as const satisfies readonly ChartInfo[];

/** Every chart the view can draw; compareChartsOf() says which one snapshot has. */
export const compareCharts = [...retrievalCompareCharts, ...suiteCompareCharts] as const;

export type CompareChart = (typeof compareCharts)[number]['id'];

/** Positive and hardest-negative (image → text) similarity counts on one set of edges for all. */
export interface SharedHistograms {
  edges: number[];
  positive: number[][];
  hardestNegative: number[][];
}

/**
 * What the worker returns for a comparison of files of pairs: each checkpoint's per-query arrays are
 * reduced in the worker (snapshots/compare/compareData.ts) to what any baseline's snapshot shows, so
 * the host neither receives nor scans a million ranks when the user picks another baseline.
 */
export interface CompareData {
  kind?: 'retrieval';
  checkpoints: CheckpointSummary[];
  histograms: SharedHistograms;
  /** Indexed by the baseline; present only when every checkpoint has the same pairs (same n_image and n_text). */
  rankChanges?: RankChangeTables[];
  backend: string;
  seconds: number;
}

/** One classification suite of a comparison (a *.suite.json per checkpoint). */
export interface ComparedSuite {
  name: string;
  files: string[];
  suite: SuiteResult;
  seconds: number;
  warnings: string[];
}

/** What the worker returns when every compared checkpoint is a suite. */
export interface SuiteCompareData {
  kind: 'suites';
  suites: ComparedSuite[];
  backend: string;
  seconds: number;
}

export type AnyCompareData = CompareData | SuiteCompareData;

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

/** Rank changes of the image queries and of the text queries, against one baseline. */
export interface RankChangeTables {
  i2t: RankChanges;
  t2i: RankChanges;
}

/** One analysed checkpoint, reduced to what a comparison shows. */
export interface CheckpointSummary {
  /** Short unique name: the file name, with the folder when two share a name. */
  name: string;
  files: string[];
  result: AnalysisResult;
  seconds: number;
  warnings: string[];
}

export interface CompareSnapshot {
  kind?: 'retrieval';
  title: string;
  checkpoints: CheckpointSummary[];
  baseline: number;
  rows: MetricRow[];
  /** What cannot be compared across these checkpoints, and why (empty when everything can). */
  notComparable: string[];
  histograms: SharedHistograms;
  /** Present only when every checkpoint has the same pairs (same n_image and n_text). */
  rankChanges?: RankChangeTables;
  backend: string;
  seconds: number;
}

/** One checkpoint on the robustness plot (Taori et al. 2020): both top-1 accuracies in percent. */
export interface RobustnessPoint {
  name: string;
  inDistribution: number;
  oodMean: number;
}

/** Suites compared: the table (rows as for retrieval, so export and the CLI treat both alike) and the plot. */
export interface SuiteCompareSnapshot {
  kind: 'suites';
  title: string;
  checkpoints: { name: string; files: string[]; seconds: number; warnings: string[] }[];
  baseline: number;
  rows: MetricRow[];
  notComparable: string[];
  robustness: RobustnessPoint[];
  backend: string;
  seconds: number;
}

export type AnyCompareSnapshot = CompareSnapshot | SuiteCompareSnapshot;

/** What the metrics export and the CLI print: the table, whichever kind of comparison it is. */
export type CompareTable = Pick<
  AnyCompareSnapshot,
  'checkpoints' | 'baseline' | 'rows' | 'notComparable' | 'backend' | 'seconds'
>;

export function isSuiteComparison(s: AnyCompareSnapshot): s is SuiteCompareSnapshot {
  return s.kind === 'suites';
}

/** The charts a comparison draws (from its data or its snapshot): what the export commands offer for it. */
export function compareChartsOf(s: { kind?: 'retrieval' | 'suites' } | undefined): readonly ChartInfo[] {
  if (!s) return compareCharts;
  return s.kind === 'suites' ? suiteCompareCharts : retrievalCompareCharts;
}

export type HostToCompareView =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'snapshot'; snapshot: AnyCompareSnapshot }
  | { type: 'error'; message: string }
  | HostToViewExport;

export type CompareViewToHost =
  | { type: 'ready' }
  | { type: 'rerun' }
  | { type: 'cancel' }
  | { type: 'setBaseline'; baseline: number }
  | ViewToHostExport;
