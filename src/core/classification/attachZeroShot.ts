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

/** The zero-shot analysis of a retrieval file's classes (warnings prefixed `classes:`), or undefined when it holds none. */
export async function zeroShotOfPairsFile(
  files: string[],
  settings: Pick<AnalyzeFilesSettings, 'imageKeys' | 'eceTau' | 'memoryBudgetMB'>,
  token?: CancelToken,
): Promise<{ zeroShot: ZeroShotAnalysis; warnings: string[] } | undefined> {
  if (!(await pairsFileHoldsClasses(files, token))) return undefined;
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const set = await readClassificationSet(files[0], { imageKeys: settings.imageKeys, memoryBudgetBytes, token });
  const zeroShot = await analyzeZeroShot(set, { eceTau: settings.eceTau, memoryBudgetBytes, token });
  return { zeroShot, warnings: set.warnings.map((w) => `classes: ${w}`) };
}

export async function attachZeroShot(
  analyzed: AnalyzedCheckpoint,
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
): Promise<AnalyzedCheckpoint> {
  const found = await zeroShotOfPairsFile(files, settings, token);
  if (!found) return analyzed;
  analyzed.checkpoint.warnings.push(...found.warnings);
  const { zeroShot } = found;
  return { ...analyzed, result: { ...analyzed.result, zero_shot: zeroShot.result }, zeroShot };
}
