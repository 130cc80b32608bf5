import { compareCharts } from '../../../src/protocol/comparePanel';
import { imageButtons, type ImageButton } from '../charts/chartExport';
import { el } from '../dom';
import { button, chartPanel, pageHeader, pageTop, type PageTop, type VscodeButton } from '../pageParts';
import { collapsibleSection } from '../sections';
import type { CompareChartName } from './compareCharts';

/** Handles on the compare page's changing parts; the skeleton is built once. */
export interface CompareLayout extends PageTop {
  rerun: VscodeButton;
  exportCsv: VscodeButton;
  exportJson: VscodeButton;
  cancel: VscodeButton;
  notComparable: HTMLElement;
  empty: HTMLElement;
  results: HTMLElement;
  baseline: HTMLSelectElement;
  metrics: HTMLElement;
  /** Each chart's panel, shown when the snapshot has that chart (suites have only the robustness plot). */
  panels: Record<CompareChartName, HTMLElement>;
  charts: Record<CompareChartName, HTMLElement>;
  /** Each chart's PNG and SVG buttons. */
  exportImage: ImageButton[];
  ranksSection: HTMLElement;
  rankDirection: HTMLSelectElement;
  ranks: HTMLElement;
}

const chartNotes: Record<CompareChartName, string> = {
  plane:
    'Each checkpoint at (alignment, uniformity of images ∪ texts), as in Wang & Isola; lower-left is better on both. The baseline is the diamond.',
  histograms: 'Solid: cosine of each true pair; dashed: of each image’s closest wrong caption. Less overlap is better.',
  recall: 'Share of queries whose true match is in the top K, per direction.',
  robustness:
    'Each checkpoint at (in-distribution top-1, mean top-1 over the shifted sets), both on logit axes as in Taori et al. 2020; the dashed line is y = x (no drop under shift). Higher above the others at the same x is more robust. The baseline is the diamond.',
};

export function buildCompareLayout(root: HTMLElement, onExpand: () => void): CompareLayout {
  const exportImage: ImageButton[] = [];
  const panel = (name: CompareChartName, wide = false) => {
    const chart = compareCharts.find((c) => c.id === name)!;
    return chartPanel(name, chart.title, el('p', { class: 'note' }, chartNotes[name]), {
      wide,
      action: el('div', { class: 'chart-actions' }, ...imageButtons(chart, exportImage)),
    });
  };
  const panels = {
    plane: panel('plane'),
    histograms: panel('histograms'),
    recall: panel('recall', true),
    robustness: panel('robustness', true),
  };
  const cancel = button('cancel', 'stop-circle', 'Cancel', true);
  const rankDirection = el(
    'select',
    { id: 'rank-direction', class: 'picker', 'aria-label': 'Query direction' },
    el('option', { value: 'i2t' }, 'image → text'),
    el('option', { value: 't2i' }, 'text → image'),
  );
  const ranks = collapsibleSection('rank-changes', 'Per-query rank changes', {
    controls: [el('label', { class: 'picker-label' }, 'Queries ', rankDirection)],
  });
  const l: CompareLayout = {
    ...pageTop(root, true, cancel),
    rerun: button('rerun', 'refresh', 'Re-run'),
    exportCsv: Object.assign(button('export-csv', 'save', 'Export CSV', true), { disabled: true }),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    cancel,
    notComparable: el('div', { id: 'not-comparable', class: 'banner warning', role: 'note', hidden: '' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the comparison…'),
    results: el('div', { id: 'results', hidden: '' }),
    baseline: el('select', { id: 'baseline', class: 'picker', 'aria-label': 'Baseline checkpoint' }),
    metrics: el('div', { id: 'metrics', class: 'table-scroll' }),
    panels: {
      plane: panels.plane.panel,
      histograms: panels.histograms.panel,
      recall: panels.recall.panel,
      robustness: panels.robustness.panel,
    },
    charts: {
      plane: panels.plane.chart,
      histograms: panels.histograms.chart,
      recall: panels.recall.chart,
      robustness: panels.robustness.chart,
    },
    exportImage,
    ranksSection: ranks.section,
    rankDirection,
    ranks: el('div', { id: 'ranks' }),
  };
  // The metrics table is the compact overview, first; then the charts; each section collapses.
  const metrics = collapsibleSection('metrics-section', 'Metrics', {
    controls: [el('label', { class: 'picker-label' }, 'Baseline ', l.baseline)],
  });
  metrics.body.append(l.metrics);
  const charts = collapsibleSection('charts-section', 'Charts', { onExpand });
  charts.body.append(
    el(
      'div',
      { class: 'charts' },
      panels.robustness.panel,
      panels.plane.panel,
      panels.histograms.panel,
      panels.recall.panel,
    ),
  );
  ranks.body.append(l.ranks);
  l.results.append(metrics.section, charts.section, l.ranksSection);
  root.replaceChildren(
    pageHeader('Embedding Lens · Compare', l, l.rerun, l.exportCsv, l.exportJson),
    l.activity,
    l.notComparable,
    l.empty,
    l.results,
  );
  return l;
}
