/** The table of compared classification suites: the in-distribution set, each shifted set, their mean. */
import type { SuiteResult } from '../../core/classification/types';
import { zeroShotMetricInfo, type MetricInfo } from '../../protocol/metricInfo';
import type { MetricRow } from '../../protocol/comparePanel';
import { metricRow } from './metricTable';

/** Shifted sets by name, in the order the suites first list them: checkpoints may name different ones. */
function shiftedNames(suites: SuiteResult[]): string[] {
  return [...new Set(suites.flatMap((s) => s.shifted.map((set) => set.name)))];
}

export function suiteRows(suites: SuiteResult[], baseline: number): MetricRow[] {
  const top1 = zeroShotMetricInfo('top1');
  const inDistribution = (['top1', 'top5', 'ece'] as const).map((key) => {
    const info = zeroShotMetricInfo(key);
    return metricRow(
      { ...info, key: `in_distribution.${key}`, label: `${info.label} (in-distribution)` },
      suites.map((s) => s.inDistribution.result[key]),
      baseline,
    );
  });
  const shifted = shiftedNames(suites).map((name) =>
    metricRow(
      { ...top1, key: `shifted.${name}.top1`, label: `top-1 accuracy (${name})` },
      suites.map((s) => s.shifted.find((set) => set.name === name)?.result.top1 ?? NaN),
      baseline,
    ),
  );
  const oodMean: MetricInfo = { ...top1, key: 'ood_mean', label: 'mean top-1 accuracy under shift (ood_mean)' };
  return [
    ...inDistribution,
    ...shifted,
    metricRow(
      oodMean,
      suites.map((s) => s.ood_mean),
      baseline,
    ),
  ];
}

/** One sentence per thing that makes the suites' figures not like for like. */
export function suiteNotComparable(names: string[], suites: SuiteResult[]): string[] {
  const out: string[] = [];
  const sets = suites.map((s) =>
    s.shifted
      .map((set) => set.name)
      .sort()
      .join(', '),
  );
  if (new Set(sets).size > 1) {
    out.push(
      `The suites name different shifted sets (${names.map((n, i) => `${n}: ${sets[i] || 'none'}`).join('; ')}), so their ood_mean averages different sets.`,
    );
  }
  const classes = suites.map((s) => s.inDistribution.result.classes);
  if (new Set(classes).size > 1) {
    out.push(
      `The suites have different class counts (${names.map((n, i) => `${n}: ${classes[i]}`).join('; ')}), so chance accuracy differs between them.`,
    );
  }
  return out;
}
