import type { CompareTable, MetricRow } from '../../../src/protocol/comparePanel';
import { el } from '../dom';
import { formatMetric } from '../format';

function signed(r: MetricRow, d: number): string {
  const text = formatMetric(Math.abs(d), r.percent, r.decimals);
  return `${d < 0 ? '−' : '+'}${r.percent ? text.replace('%', ' pt') : text}`;
}

function cell(r: MetricRow, i: number): HTMLElement {
  const verdict = r.verdicts[i];
  return el(
    'td',
    {
      class: `value ${verdict}`,
      'data-checkpoint': String(i),
      'data-value': String(r.values[i]),
      'data-delta': String(r.deltas[i]),
      'data-verdict': verdict,
    },
    el('span', { class: 'metric-value' }, formatMetric(r.values[i], r.percent, r.decimals)),
    verdict !== 'baseline' && el('span', { class: 'delta' }, verdict === 'same' ? '±0' : signed(r, r.deltas[i])),
  );
}

/** Every metric of every checkpoint; non-baseline cells carry their delta, coloured better/worse. */
export function renderMetricsTable(target: HTMLElement, s: CompareTable): void {
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, 'Metric'),
    ...s.checkpoints.map((c, i) =>
      el(
        'th',
        { scope: 'col', class: i === s.baseline ? 'baseline' : '' },
        c.name,
        i === s.baseline && el('span', { class: 'tag' }, 'baseline'),
      ),
    ),
  );
  const rows = s.rows.map((r) =>
    el(
      'tr',
      { 'data-metric': r.key },
      el(
        'th',
        { scope: 'row' },
        r.label,
        el('span', { class: 'direction', title: `${r.better} is better` }, r.better === 'lower' ? ' ↓' : ' ↑'),
      ),
      ...s.checkpoints.map((_, i) => cell(r, i)),
    ),
  );
  target.replaceChildren(
    el('table', { class: 'compare-table metrics' }, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}

/** The baseline picker's options, the chosen one selected. */
export function renderBaselinePicker(select: HTMLSelectElement, s: CompareTable): void {
  select.replaceChildren(...s.checkpoints.map((c, i) => el('option', { value: String(i) }, c.name)));
  select.value = String(s.baseline);
}
