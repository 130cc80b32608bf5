/** Analyses each checkpoint of a comparison in turn, keeping only what the comparison needs. */
import { analyzeFiles, type AnalyzeFilesSettings } from '../../core/analysis/analyzeFiles';
import type { CancelToken, ProgressFn } from '../../core/util/cancel';
import { maxCompared, minCompared, type CompareData } from '../../protocol/comparePanel';
import { InputError } from '../../core/util/errors';
import { compareDataOf, type AnalyzedForCompare } from './compareData';
import { checkpointNames } from './checkpointNames';

/** `sets[k]` names the file (or image + text files) of checkpoint k. */
export async function analyzeCheckpoints(
  sets: string[][],
  settings: AnalyzeFilesSettings,
  backend: string,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<CompareData> {
  if (sets.length < minCompared || sets.length > maxCompared) {
    throw new InputError(
      sets.flat().join(', ') || '(none)',
      `compare takes ${minCompared} to ${maxCompared} checkpoints, got ${sets.length}`,
    );
  }
  const start = performance.now();
  const names = checkpointNames(sets);
  const analyzed: AnalyzedForCompare[] = [];
  for (const [k, files] of sets.entries()) {
    // One checkpoint's matrices at a time: only its per-query arrays outlive this iteration.
    const a = await analyzeFiles(files, settings, token, (f, m) =>
      onProgress?.((k + f) / sets.length, `${names[k]} (${k + 1} of ${sets.length})${m ? `: ${m}` : ''}`),
    );
    analyzed.push({
      name: names[k],
      files: a.checkpoint.files,
      result: a.result,
      seconds: a.seconds,
      warnings: a.checkpoint.warnings,
      ranksI2T: a.detail.ranksI2T,
      ranksT2I: a.detail.ranksT2I,
      captions: a.checkpoint.captions,
      positive: a.detail.positive,
      hardestNegative: a.detail.hardestNegativeI2T,
    });
  }
  return compareDataOf(analyzed, backend, (performance.now() - start) / 1000);
}
