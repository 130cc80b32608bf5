/** A suite's sets in one table: each set's accuracy and calibration, and the mean over the shifted sets. */
import type { SuiteResult, SuiteSetResult } from '../../../src/core/classification/types';
import { zeroShotMetricInfo } from '../../../src/protocol/metricInfo';
import { el } from '../dom';
import { formatCount, formatMetric } from '../format';
import { metricCard } from '../analysis/metricCards';

function setRow(set: SuiteSetResult, role: string): HTMLElement {
  const r = set.result;
  return el(
    'tr',
    { 'data-set': set.name, 'data-top1': String(r.top1) },
    el('th', { scope: 'row', class: 'name' }, set.name),
    el('td', {}, role),
    el('td', { class: 'num' }, formatCount(r.n)),
    el('td', { class: 'num' }, formatMetric(r.top1, true)),
    el('td', { class: 'num' }, formatMetric(r.top5, true)),
    el('td', { class: 'num' }, formatMetric(r.ece, false)),
  );
}

export function renderSuite(target: HTMLElement, s: SuiteResult): void {
  const top1 = zeroShotMetricInfo('top1');
  const id = s.inDistribution.result.top1;
  const cards = el(
    'div',
    { class: 'card-grid' },
    metricCard({
      ...top1,
      key: 'suite.in_distribution.top1',
      label: 'In-distribution top-1',
      value: id,
      explain: `Top-1 accuracy on ${s.inDistribution.name}.`,
    }),
    metricCard({
      ...top1,
      key: 'suite.ood_mean',
      label: 'Mean top-1 under shift',
      value: s.ood_mean,
      explain: `ood_mean: top-1 accuracy averaged over the ${s.shifted.length} shifted sets.`,
    }),
    metricCard({
      ...top1,
      key: 'suite.drop',
      label: 'Drop under shift',
      better: 'lower',
      value: id - s.ood_mean,
      explain: 'In-distribution top-1 minus the mean under shift, in points: what the shifts cost.',
    }),
  );
  const head = el(
    'tr',
    {},
    ...['Set', 'Role', 'Images', 'Top-1', 'Top-5', 'ECE'].map((h, i) =>
      el('th', { scope: 'col', class: i > 1 ? 'num' : '' }, h),
    ),
  );
  const mean = el(
    'tr',
    { class: 'summary', 'data-set': 'ood_mean' },
    el('th', { scope: 'row' }, 'Mean over shifted sets (ood_mean)'),
    el('td', {}),
    el('td', {}),
    el('td', { class: 'num' }, formatMetric(s.ood_mean, true)),
    el('td', {}),
    el('td', {}),
  );
  target.replaceChildren(
    el('h2', { id: 'suite-title' }, `Suite: ${s.suite}`),
    cards,
    el(
      'div',
      { class: 'table-scroll' },
      el(
        'table',
        { id: 'suite-table', class: 'data-table' },
        el('thead', {}, head),
        el('tbody', {}, setRow(s.inDistribution, 'in-distribution'), ...s.shifted.map((set) => setRow(set, 'shifted'))),
        el('tfoot', {}, mean),
      ),
    ),
  );
}
