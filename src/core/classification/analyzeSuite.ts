import { InputError } from '../util/errors';
import type { ProgressFn } from '../util/cancel';
import { analyzeZeroShot, type ZeroShotOptions } from './analyzeZeroShot';
import { readClassificationSet, type ClassificationReadOptions } from './readClassificationSet';
import { suiteResult } from './suiteResult';
import { readSuiteSpec } from './suiteSpec';
import type { SuiteResult, SuiteSetResult, ZeroShotAnalysis } from './types';

export interface AnalyzedSuite {
  suite: SuiteResult;
  /** Per set, in suite order (in-distribution first): what the views draw. */
  details: ZeroShotAnalysis['detail'][];
  /** Readers' warnings, each prefixed with its set's name. */
  warnings: string[];
}

/** Each set in turn (one in memory at a time); every set must have the in-distribution set's class count. */
export async function analyzeSuite(
  source: string,
  opts: ZeroShotOptions & ClassificationReadOptions = {},
): Promise<AnalyzedSuite> {
  const spec = await readSuiteSpec(source);
  const sets = [spec.inDistribution, ...spec.shifted];
  const results: SuiteSetResult[] = [];
  const details: ZeroShotAnalysis['detail'][] = [];
  const warnings: string[] = [];
  const progress: ProgressFn | undefined = opts.onProgress;
  for (const [k, member] of sets.entries()) {
    const set = await readClassificationSet(member.file, { ...opts, onProgress: undefined });
    const idClasses = results[0]?.result.classes;
    if (idClasses !== undefined && set.classEmbeds.classes !== idClasses) {
      throw new InputError(
        source,
        `set '${member.name}' has ${set.classEmbeds.classes} classes but the in-distribution set '${results[0].name}' has ${idClasses}: a suite's sets share their classes`,
      );
    }
    warnings.push(...set.warnings.map((w) => `${member.name}: ${w}`));
    const analysis = await analyzeZeroShot(set, {
      ...opts,
      onProgress: progress && ((f, m) => progress((k + f) / sets.length, m)),
    });
    results.push({ name: member.name, files: [member.file], result: analysis.result });
    details.push(analysis.detail);
  }
  return { suite: suiteResult(spec.name, results), details, warnings };
}
