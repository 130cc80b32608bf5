/** CompareData (from the worker) + a baseline = the snapshot the compare view and the CLI show. */
import { InputError } from '../../core/util/errors';
import {
  maxCompared,
  minCompared,
  type AnyCompareData,
  type AnyCompareSnapshot,
  type CompareData,
  type CompareSnapshot,
  type SuiteCompareData,
  type SuiteCompareSnapshot,
} from '../../protocol/comparePanel';
import { notComparable } from './comparability';
import { metricRows } from './metricTable';
import { suiteNotComparable, suiteRows } from './suiteRows';

function checkCount(names: string[], baseline: number): void {
  if (names.length < minCompared || names.length > maxCompared) {
    throw new InputError(
      names.join(', ') || '(none)',
      `compare takes ${minCompared} to ${maxCompared} checkpoints, got ${names.length}`,
    );
  }
  if (!Number.isInteger(baseline) || baseline < 0 || baseline >= names.length) {
    throw new RangeError(`baseline ${baseline} is not one of the ${names.length} checkpoints`);
  }
}

export function buildCompareSnapshot(data: CompareData, baseline: number): CompareSnapshot {
  const { checkpoints } = data;
  const names = checkpoints.map((c) => c.name);
  checkCount(names, baseline);
  const results = checkpoints.map((c) => c.result);
  return {
    title: names.join(' vs '),
    checkpoints,
    baseline,
    rows: metricRows(results, baseline),
    notComparable: notComparable(names, results),
    histograms: data.histograms,
    rankChanges: data.rankChanges?.[baseline],
    backend: data.backend,
    seconds: data.seconds,
  };
}

/** Suites compared: each set's accuracy per checkpoint, and each checkpoint's point on the robustness plot. */
export function buildSuiteCompareSnapshot(data: SuiteCompareData, baseline: number): SuiteCompareSnapshot {
  const names = data.suites.map((c) => c.name);
  checkCount(names, baseline);
  const suites = data.suites.map((c) => c.suite);
  return {
    kind: 'suites',
    title: names.join(' vs '),
    checkpoints: data.suites.map(({ name, files, seconds, warnings }) => ({ name, files, seconds, warnings })),
    baseline,
    rows: suiteRows(suites, baseline),
    notComparable: suiteNotComparable(names, suites),
    robustness: data.suites.map((c) => ({
      name: c.name,
      inDistribution: c.suite.inDistribution.result.top1,
      oodMean: c.suite.ood_mean,
    })),
    backend: data.backend,
    seconds: data.seconds,
  };
}

export function compareSnapshotOf(data: AnyCompareData, baseline: number): AnyCompareSnapshot {
  return 'suites' in data ? buildSuiteCompareSnapshot(data, baseline) : buildCompareSnapshot(data, baseline);
}
