/** Dispatches an input to what it holds: a suite, a classification set, or retrieval pairs (with classes when present). */
import { analyzeFiles } from '../analysis/analyzeFiles';
import type { AnalyzedCheckpoint } from '../analysis/analyzedCheckpoint';
import type { AnalyzeFilesSettings } from '../analysis/analyzeSettings';
import type { CancelToken, ProgressFn } from '../util/cancel';
import { describeFile } from '../readers';
import { defaultTextKeys } from '../readers/selectArrays';
import { analyzeSuite } from './analyzeSuite';
import { analyzeZeroShot } from './analyzeZeroShot';
import { holdsClasses, holdsPairs } from './classificationKeys';
import { readClassificationSet } from './readClassificationSet';
import { isSuite } from './suiteSpec';
import type { SuiteResult, ZeroShotAnalysis, ZeroShotDetail } from './types';

/** What analyzeInput() found and measured (types.ts tells which input gives which). */
export type AnalysisOutcome =
  | { kind: 'retrieval'; analyzed: AnalyzedCheckpoint }
  | { kind: 'classification'; files: string[]; zeroShot: ZeroShotAnalysis; warnings: string[]; seconds: number }
  /** details[k]: the k-th set's detail, in-distribution first, then the shifted sets in suite order. */
  | { kind: 'suite'; suite: SuiteResult; details: ZeroShotDetail[]; warnings: string[]; seconds: number };

/** How a file of pairs is analysed: analyzeFiles() on tfjs, or analysis/analyzeFilesOnTorch.ts. */
export type AnalyzePairs = (
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
  onProgress?: ProgressFn,
) => Promise<AnalyzedCheckpoint>;

/** Whether `file` is a classification set without texts (zero-shot only: no pairs to retrieve). */
export async function holdsOnlyClasses(file: string, textKeys: string[], token?: CancelToken): Promise<boolean> {
  const arrays = (await describeFile(file, { token })).arrays;
  return holdsClasses(arrays) && !holdsPairs(arrays, [...textKeys, ...defaultTextKeys]);
}

export async function analyzeInput(
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
  onProgress?: ProgressFn,
  analyzePairs: AnalyzePairs = analyzeFiles,
): Promise<AnalysisOutcome> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const options = { imageKeys: settings.imageKeys, eceTau: settings.eceTau, memoryBudgetBytes, token, onProgress };
  if (files.length === 1 && (await isSuite(files[0]))) {
    const { suite, details, warnings } = await analyzeSuite(files[0], options);
    return { kind: 'suite', suite, details, warnings, seconds: seconds() };
  }
  if (files.length === 1 && (await holdsOnlyClasses(files[0], settings.textKeys, token))) {
    const set = await readClassificationSet(files[0], options);
    const zeroShot = await analyzeZeroShot(set, options);
    return { kind: 'classification', files, zeroShot, warnings: set.warnings, seconds: seconds() };
  }
  return { kind: 'retrieval', analyzed: await analyzePairs(files, settings, token, onProgress) };
}
