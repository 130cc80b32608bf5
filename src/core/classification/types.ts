/*
 * Zero-shot classification beside retrieval. analyze() and analyzeFiles() measure retrieval; what a
 * file holds decides the rest:
 *   - pairs only: retrieval.
 *   - pairs and classes: analyzeFiles() also sets `result.zero_shot` and `AnalyzedCheckpoint.zeroShot`
 *     (the ZeroShotAnalysis below, detail included).
 *   - classes only: analyzeFiles() refuses it (no text array); `analyzeInput(files, settings, token,
 *     onProgress)` in './analyzeInput' dispatches on the input and returns its `AnalysisOutcome` union:
 *     'retrieval' (an AnalyzedCheckpoint, with zeroShot when the file also has classes),
 *     'classification' (no retrieval keys at all), or 'suite' for a *.suite.json file or a suite
 *     folder (suiteSpec.ts: a folder with one `id.*` and `shift-*.*` files).
 * Robustness points for compare: robustnessPoint(name, suite) in './robustness' (logit axes, gap to y = x).
 * per_class holds NaN (null in JSON) for a class without images; detail.perClassCount says which.
 * Training: a run's `evalSuites` put `suites: SuiteResult[]` on every EvalEvent (train/events.ts), epoch 0
 * included, for the dashboard's per-epoch ID top-1 / ood_mean chart; bestMetric may be id_top1 or ood_mean.
 * The CLI's `analyze --json` prints the AnalysisResult (with "zero_shot") for the first, and
 * `{ "zero_shot": {...} }` alone for the second: retrieval keys are absent, never zero.
 */
import type { ReliabilityBin } from '../metrics/reliability';

/** analyze --json "zero_shot", the keys of METRICS.md. */
export interface ZeroShotResult {
  n: number;
  classes: number;
  top1: number;
  top5: number;
  balanced: number;
  ece: number;
  ece_tau: number;
  per_class: number[];
  confused: [number, number, number][];
}
/** What the views draw beside the JSON. */
export interface ZeroShotDetail {
  classNames?: string[];
  perClassCount: number[];
  reliability: ReliabilityBin[];
}
export interface ZeroShotAnalysis {
  result: ZeroShotResult;
  detail: ZeroShotDetail;
}
/** One set of a suite. */
export interface SuiteSetResult {
  name: string;
  files: string[];
  result: ZeroShotResult;
}
/** A *.suite.json analysed: the in-distribution set, the shifted sets, ood_mean = mean top-1 of the shifted sets. */
export interface SuiteResult {
  suite: string;
  inDistribution: SuiteSetResult;
  shifted: SuiteSetResult[];
  ood_mean: number;
}
