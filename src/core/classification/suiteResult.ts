import type { SuiteResult, SuiteSetResult } from './types';

/** A suite's figures from its sets' (in-distribution first): ood_mean is the mean top-1 of the shifted sets. */
export function suiteResult(suite: string, sets: SuiteSetResult[]): SuiteResult {
  const shifted = sets.slice(1);
  return {
    suite,
    inDistribution: sets[0],
    shifted,
    ood_mean: shifted.reduce((s, r) => s + r.result.top1, 0) / shifted.length,
  };
}
