/** Read + analyse, the one job the CLI, the worker and the benchmark all run. */
import type { CancelToken, ProgressFn } from './cancel';
import type { Checkpoint } from './checkpoint';
import { analyze } from './metrics/analyze';
import type { AnalysisDetail, AnalysisResult } from './metrics/types';
import { readCheckpoint } from './readers';

export interface AnalyzeFilesSettings {
  uniformityT: number;
  ks: number[];
  eceTau: number;
  memoryBudgetMB: number;
  imageKeys: string[];
  textKeys: string[];
}

export interface AnalyzedCheckpoint {
  checkpoint: Checkpoint;
  result: AnalysisResult;
  detail: AnalysisDetail;
  seconds: number;
}

/** Reading takes the first tenth of the progress bar, the blocked pass the rest. */
const readShare = 0.1;

export async function analyzeFiles(
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<AnalyzedCheckpoint> {
  const start = performance.now();
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const checkpoint = await readCheckpoint(files, {
    imageKeys: settings.imageKeys,
    textKeys: settings.textKeys,
    memoryBudgetBytes,
    token,
    onProgress: (f, m) => onProgress?.(f * readShare, m ?? 'reading'),
  });
  const { result, detail } = await analyze(checkpoint, {
    uniformityT: settings.uniformityT,
    ks: settings.ks,
    eceTau: settings.eceTau,
    memoryBudgetBytes,
    token,
    onProgress: (f, m) => onProgress?.(readShare + f * (1 - readShare), m),
  });
  return { checkpoint, result, detail, seconds: (performance.now() - start) / 1000 };
}
