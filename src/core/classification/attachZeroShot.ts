/** A retrieval file that also holds classes reports both: the zero-shot figures join its analysis. */
import type { AnalyzedCheckpoint } from '../analysis/analyzedCheckpoint';
import type { AnalyzeFilesSettings } from '../analysis/analyzeSettings';
import type { CancelToken } from '../util/cancel';
import { describeFile } from '../readers';
import { analyzeZeroShot } from './analyzeZeroShot';
import { holdsClasses } from './classificationKeys';
import { readClassificationSet } from './readClassificationSet';
import type { ZeroShotAnalysis } from './types';

/** Whether the input of pairs also holds labels and class embeddings (headers only). */
export async function pairsFileHoldsClasses(files: string[], token?: CancelToken): Promise<boolean> {
  // Two files are an image file and a text file: labels and classes belong with one set of images.
  return files.length === 1 && holdsClasses((await describeFile(files[0], { token })).arrays);
}

/** The zero-shot analysis of the classes in `file` (one that pairsFileHoldsClasses), its warnings prefixed `classes:`. */
async function zeroShotOfPairsFile(
  file: string,
  settings: Pick<AnalyzeFilesSettings, 'imageKeys' | 'eceTau' | 'memoryBudgetMB'>,
  token?: CancelToken,
): Promise<{ zeroShot: ZeroShotAnalysis; warnings: string[] }> {
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const set = await readClassificationSet(file, { imageKeys: settings.imageKeys, memoryBudgetBytes, token });
  const zeroShot = await analyzeZeroShot(set, { eceTau: settings.eceTau, memoryBudgetBytes, token });
  return { zeroShot, warnings: set.warnings.map((w) => `classes: ${w}`) };
}

export async function attachZeroShot(
  analyzed: AnalyzedCheckpoint,
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
): Promise<AnalyzedCheckpoint> {
  if (!(await pairsFileHoldsClasses(files, token))) return analyzed;
  const { zeroShot, warnings } = await zeroShotOfPairsFile(files[0], settings, token);
  analyzed.checkpoint.warnings.push(...warnings);
  return { ...analyzed, result: { ...analyzed.result, zero_shot: zeroShot.result }, zeroShot };
}
