/** Read + analyse, the one job the CLI and the worker run. */
import type { CancelToken, ProgressFn } from '../util/cancel';
import type { Checkpoint } from '../readers/checkpoint';
import { analyze } from '../metrics/analyze';
import { readCheckpoint } from '../readers';
import { analyzedFromCheckpoint, type AnalyzedCheckpoint } from './analyzedCheckpoint';
import type { AnalyzeFilesSettings } from './analyzeSettings';
import { attachZeroShot } from '../classification/attachZeroShot';

export type { AnalyzeFilesSettings };

/**
 * The sample when sampled mode starts by itself: 20,000 pairs put the uniformity estimates' standard
 * errors near 0.01 on CLIP-like data, and ECE then softmaxes 20,000 queries instead of N.
 */
export const defaultSamplePairs = 20_000;

/** Reads a checkpoint with an analysis's array names and memory budget. */
export function readWithSettings(
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<Checkpoint> {
  const { imageKeys, textKeys, memoryBudgetMB } = settings;
  return readCheckpoint(files, {
    imageKeys,
    textKeys,
    memoryBudgetBytes: memoryBudgetMB * 1024 * 1024,
    token,
    onProgress,
  });
}

/** Reading takes the first tenth of the progress bar, the metric pass the rest. */
const readShare = 0.1;

export async function analyzeFiles(
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<AnalyzedCheckpoint> {
  const start = performance.now();
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const checkpoint = await readWithSettings(files, settings, token, (f, m) =>
    onProgress?.(f * readShare, m ?? 'reading'),
  );
  const { result, detail, notes } = await analyze(checkpoint, {
    uniformityT: settings.uniformityT,
    ks: settings.ks,
    eceTau: settings.eceTau,
    memoryBudgetBytes,
    // Used by the blocked pass only: the device pass is exact at any N (see metrics/analyze.ts).
    samplePairs:
      settings.samplePairs ??
      (checkpoint.text.rows > (settings.sampleAbovePairs ?? Infinity) ? defaultSamplePairs : undefined),
    token,
    onProgress: (f: number, m?: string) => onProgress?.(readShare + f * (1 - readShare), m),
  });
  checkpoint.warnings.push(...notes);
  const analyzed = await attachZeroShot(analyzedFromCheckpoint(checkpoint, result, detail), files, settings, token);
  return { ...analyzed, seconds: (performance.now() - start) / 1000 };
}
