/** Analyses each compared suite in turn: the compare view's data when every checkpoint is a suite. */
import type { AnalyzeFilesSettings } from '../../core/analysis/analyzeSettings';
import type { CancelToken, ProgressFn } from '../../core/util/cancel';
import { analyzeSuite } from '../../core/classification/analyzeSuite';
import { isSuite } from '../../core/classification/suiteSpec';
import { InputError } from '../../core/util/errors';
import type { ComparedSuite, SuiteCompareData } from '../../protocol/comparePanel';
import { checkpointNames } from './checkpointNames';

/** True when every checkpoint is one suite; suites beside retrieval checkpoints have no common table. */
export async function comparesSuites(sets: string[][]): Promise<boolean> {
  const suites = await Promise.all(sets.map(async (files) => files.length === 1 && (await isSuite(files[0]))));
  if (suites.every(Boolean)) return true;
  if (suites.some(Boolean))
    throw new InputError(
      sets.flat().join(', '),
      'compare takes either suites (one per checkpoint) or checkpoint files, not both',
    );
  return false;
}

export async function analyzeSuites(
  sets: string[][],
  settings: AnalyzeFilesSettings,
  backend: string,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<SuiteCompareData> {
  const start = performance.now();
  const names = checkpointNames(sets);
  const suites: ComparedSuite[] = [];
  for (const [k, [source]] of sets.entries()) {
    const began = performance.now();
    const { suite, warnings } = await analyzeSuite(source, {
      imageKeys: settings.imageKeys,
      eceTau: settings.eceTau,
      memoryBudgetBytes: settings.memoryBudgetMB * 1024 * 1024,
      token,
      onProgress: (f, m) =>
        onProgress?.((k + f) / sets.length, `${names[k]} (${k + 1} of ${sets.length})${m ? `: ${m}` : ''}`),
    });
    suites.push({ name: names[k], files: [source], suite, seconds: (performance.now() - began) / 1000, warnings });
  }
  return { kind: 'suites', suites, backend, seconds: (performance.now() - start) / 1000 };
}
