/** CompareData (from the worker) + a baseline = the snapshot the compare view and the CLI show. */
import { InputError } from '../errors';
import { maxCompared, minCompared, type CompareData, type CompareSnapshot } from '../../protocol/comparePanel';
import { notComparable, samePairs } from './comparability';
import { metricRows } from './metricTable';
import { rankChanges } from './rankChanges';

export function buildCompareSnapshot(data: CompareData, baseline: number): CompareSnapshot {
  const { checkpoints } = data;
  if (checkpoints.length < minCompared || checkpoints.length > maxCompared) {
    throw new InputError(checkpoints.map((c) => c.name).join(', ') || '(none)', `compare takes ${minCompared} to ${maxCompared} checkpoints, got ${checkpoints.length}`);
  }
  if (!Number.isInteger(baseline) || baseline < 0 || baseline >= checkpoints.length) {
    throw new RangeError(`baseline ${baseline} is not one of the ${checkpoints.length} checkpoints`);
  }
  const names = checkpoints.map((c) => c.name);
  const results = checkpoints.map((c) => c.result);
  return {
    title: names.join(' vs '),
    checkpoints: checkpoints.map(({ name, files, result, seconds, warnings }) => ({ name, files, result, seconds, warnings })),
    baseline,
    rows: metricRows(results, baseline),
    notComparable: notComparable(names, results),
    histograms: data.histograms,
    rankChanges: samePairs(results)
      ? { i2t: rankChanges(checkpoints, baseline, 'i2t'), t2i: rankChanges(checkpoints, baseline, 't2i') }
      : undefined,
    backend: data.backend,
    seconds: data.seconds,
  };
}
