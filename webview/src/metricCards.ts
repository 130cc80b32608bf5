import type { AnalysisResult } from '../../src/core/metrics/types';
import { el } from './dom';
import { formatCount, formatMetric } from './format';
import { metricGroups, metricValue, type MetricDefinition } from './metricDefinitions';

function card(m: AnalysisResult, def: MetricDefinition): HTMLElement {
  const value = metricValue(m, def.key);
  const estimate = m.estimates?.[def.key];
  const arrow = def.better === 'lower' ? '↓' : '↑';
  return el(
    'article',
    { class: 'card', 'data-metric': def.key, 'data-value': String(value) },
    el('h3', { class: 'card-label' }, def.label),
    el('div', { class: 'card-value' }, formatMetric(value, def.percent, def.decimals)),
    estimate &&
      el(
        'div',
        { class: 'card-estimate' },
        // A sample that covered every pair gave the exact figure: no ± to show.
        estimate.standard_error === 0
          ? `exact (all ${formatCount(estimate.sample_pairs)} pairs)`
          : `estimate ± ${formatMetric(estimate.standard_error, def.percent)} (sample of ${formatCount(estimate.sample_pairs)} pairs)`,
      ),
    el('div', { class: `card-better ${def.better}` }, `${arrow} ${def.better} is better`),
    el('p', { class: 'card-explain' }, def.explain(m)),
  );
}

export function renderMetricCards(container: HTMLElement, m: AnalysisResult): void {
  container.replaceChildren(
    ...metricGroups.map((g) =>
      el('section', { class: 'card-group' }, el('h2', {}, g.title), el('div', { class: 'card-grid' }, ...g.metrics.map((d) => card(m, d)))),
    ),
  );
}
