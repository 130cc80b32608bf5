import type { AnalysisResult } from '../../../src/core/metrics/types';
import type { PinnedBaseline } from '../../../src/protocol/analysisPanel';
import { el } from '../dom';
import { formatCount, formatMetric } from '../format';
import { metricGroups, metricValue, type MetricDefinition } from './metricDefinitions';

/** Its change against the pinned baseline, coloured by which way is better. */
export interface CardDelta {
  value: number;
  text: string;
  verdict: 'better' | 'worse' | 'same';
}

/** What one overview tile shows: value, direction and change; the explanation waits behind hover and the "?" toggle. */
export interface CardContent {
  key: string;
  label: string;
  /** The tile's visible name when the full label is too long for it; the full one stays in the tooltip. */
  short?: string;
  better: MetricDefinition['better'];
  percent: boolean;
  decimals?: number;
  value: number;
  explain: string;
  /** A line under the value, e.g. the standard error of a sampled estimate. */
  estimate?: string;
  delta?: CardDelta;
}

/** Ids for aria-describedby: metric keys hold '.' and '@', which are valid in ids but not in selectors, so they are replaced. */
const explainId = (key: string) => `explain-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;

export function metricCard(c: CardContent): HTMLElement {
  const arrow = c.better === 'lower' ? '↓' : '↑';
  const id = explainId(c.key);
  return el(
    'article',
    {
      class: 'card',
      'data-metric': c.key,
      'data-value': String(c.value),
      'data-delta': c.delta && String(c.delta.value),
      title: `${c.label}: ${c.explain}`,
      'aria-describedby': id,
    },
    el('h3', { class: 'card-label' }, c.short ?? c.label),
    el(
      'div',
      { class: 'card-row' },
      el('span', { class: 'card-value' }, formatMetric(c.value, c.percent, c.decimals)),
      // The arrow alone is visible; the words are for screen readers.
      el(
        'span',
        { class: `card-better ${c.better}` },
        arrow,
        el('span', { class: 'visually-hidden' }, ` ${c.better} is better`),
      ),
      c.delta && el('span', { class: `card-delta ${c.delta.verdict}` }, c.delta.text),
    ),
    c.estimate !== undefined && el('div', { class: 'card-estimate' }, c.estimate),
    el('p', { class: 'card-explain', id }, c.explain),
  );
}

/** `value − baseline` as the compare table writes it: percentages in points, '±0' when equal. */
export function deltaAgainst(
  value: number,
  baseline: number | undefined,
  def: Pick<MetricDefinition, 'better' | 'percent' | 'decimals'>,
): CardDelta | undefined {
  if (baseline === undefined || !Number.isFinite(baseline) || !Number.isFinite(value)) return undefined;
  const d = value - baseline;
  const text = formatMetric(Math.abs(d), def.percent, def.decimals);
  if (text === formatMetric(0, def.percent, def.decimals)) return { value: d, text: '±0', verdict: 'same' };
  const better = def.better === 'lower' ? d < 0 : d > 0;
  return {
    value: d,
    text: `${d < 0 ? '−' : '+'}${def.percent ? text.replace('%', ' pt') : text}`,
    verdict: better ? 'better' : 'worse',
  };
}

function card(m: AnalysisResult, def: MetricDefinition, baseline: PinnedBaseline | undefined): HTMLElement {
  const estimate = m.estimates?.[def.key];
  const value = metricValue(m, def.key);
  return metricCard({
    ...def,
    value,
    explain: def.explain(m),
    delta: deltaAgainst(value, baseline?.values[def.key], def),
    estimate:
      estimate &&
      // A sample that covered every pair gave the exact figure: no ± to show.
      (estimate.standard_error === 0
        ? `exact (all ${formatCount(estimate.sample_pairs)} pairs)`
        : `estimate ± ${formatMetric(estimate.standard_error, def.percent)} (sample of ${formatCount(estimate.sample_pairs)} pairs)`),
  });
}

/** Every metric as one compact grid of tiles, group after group, so the charts below stay on the first screen. */
export function renderMetricCards(
  container: HTMLElement,
  m: AnalysisResult,
  baseline: PinnedBaseline | undefined,
): void {
  container.replaceChildren(
    el(
      'div',
      { class: 'card-grid overview-grid' },
      ...metricGroups.flatMap((g) => g.metrics.map((d) => card(m, d, baseline))),
    ),
  );
}
