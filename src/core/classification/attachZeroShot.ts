/** A retrieval file that also holds classes reports both: the zero-shot figures join its analysis. */
import type { AnalyzedCheckpoint } from '../analysis/analyzedCheckpoint';
import type { AnalyzeFilesSettings } from '../analysis/analyzeSettings';
import type { CancelToken } from '../util/cancel';
import { describeFile } from '../readers';
import { analyzeZeroShot } from './analyzeZeroShot';
import { holdsClasses } from './classificationKeys';
import { readClassificationSet } from './readClassificationSet';

export async function attachZeroShot(
  analyzed: AnalyzedCheckpoint,
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
): Promise<AnalyzedCheckpoint> {
  // Two files are an image file and a text file: labels and classes belong with one set of images.
  if (files.length !== 1 || !holdsClasses((await describeFile(files[0], { token })).arrays)) return analyzed;
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const set = await readClassificationSet(files[0], { imageKeys: settings.imageKeys, memoryBudgetBytes, token });
  const zeroShot = await analyzeZeroShot(set, { eceTau: settings.eceTau, memoryBudgetBytes, token });
  analyzed.checkpoint.warnings.push(...set.warnings.map((w) => `classes: ${w}`));
  return { ...analyzed, result: { ...analyzed.result, zero_shot: zeroShot.result }, zeroShot };
}
