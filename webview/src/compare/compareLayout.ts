import { el } from '../dom';
import type { CompareChartName } from './compareCharts';

type VscodeButton = HTMLElementTagNameMap['vscode-button'];

/** Handles on the compare page's changing parts; the skeleton is built once. */
export interface CompareLayout {
  title: HTMLElement;
  facts: HTMLElement;
  rerun: VscodeButton;
  exportCsv: VscodeButton;
  exportJson: VscodeButton;
  activity: HTMLElement;
  progressBar: HTMLElementTagNameMap['vscode-progress-bar'];
  statusIcon: HTMLElement;
  status: HTMLElement;
  cancel: VscodeButton;
  notComparable: HTMLElement;
  empty: HTMLElement;
  results: HTMLElement;
  baseline: HTMLSelectElement;
  metrics: HTMLElement;
  charts: Record<CompareChartName, HTMLElement>;
  pngButtons: Record<CompareChartName, VscodeButton>;
  ranksSection: HTMLElement;
  rankDirection: HTMLSelectElement;
  ranks: HTMLElement;
}

const button = (id: string, icon: string, label: string, secondary = false) => el('vscode-button', { id, icon, secondary: secondary ? '' : undefined }, label);

const chartTitles: Record<CompareChartName, [string, string]> = {
  plane: ['Uniformity–alignment plane', 'Each checkpoint at (alignment, uniformity of images ∪ texts), as in Wang & Isola; lower-left is better on both. The baseline is the diamond.'],
  histograms: ['Positive vs hardest-negative similarity', 'Solid: cosine of each true pair; dashed: of each image’s closest wrong caption. Less overlap is better.'],
  recall: ['Recall at K', 'Share of queries whose true match is in the top K, per direction.'],
};

export function buildCompareLayout(root: HTMLElement): CompareLayout {
  const chart = (name: CompareChartName) => el('div', { class: 'chart', 'data-chart': name, role: 'img', 'aria-label': chartTitles[name][0] });
  const charts = { plane: chart('plane'), histograms: chart('histograms'), recall: chart('recall') };
  const png = (name: CompareChartName) => button(`png-${name}`, 'file-media', 'PNG', true);
  const pngButtons = { plane: png('plane'), histograms: png('histograms'), recall: png('recall') };
  const panel = (name: CompareChartName, cls = '') =>
    el(
      'figure',
      { class: `chart-panel ${cls}` },
      el('figcaption', {}, el('div', { class: 'panel-title' }, el('h2', {}, chartTitles[name][0]), pngButtons[name]), el('p', { class: 'note' }, chartTitles[name][1])),
      charts[name],
    );
  const l: CompareLayout = {
    title: el('h1', { id: 'title' }, root.dataset.title ?? ''),
    facts: el('dl', { id: 'facts', class: 'facts' }),
    rerun: button('rerun', 'refresh', 'Re-run'),
    exportCsv: Object.assign(button('export-csv', 'save', 'Export CSV', true), { disabled: true }),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    activity: el('section', { id: 'activity', class: 'activity', hidden: '' }),
    progressBar: el('vscode-progress-bar', { id: 'progress-bar', max: '100' }),
    statusIcon: el('span', { class: 'codicon', 'aria-hidden': 'true' }),
    status: el('div', { id: 'status', role: 'status', 'aria-live': 'polite' }),
    cancel: button('cancel', 'stop-circle', 'Cancel', true),
    notComparable: el('div', { id: 'not-comparable', class: 'banner warning', role: 'note', hidden: '' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the comparison…'),
    results: el('div', { id: 'results', hidden: '' }),
    baseline: el('select', { id: 'baseline', class: 'picker', 'aria-label': 'Baseline checkpoint' }),
    metrics: el('div', { id: 'metrics', class: 'table-scroll' }),
    charts,
    pngButtons,
    ranksSection: el('section', { id: 'rank-changes', class: 'section' }),
    rankDirection: el('select', { id: 'rank-direction', class: 'picker', 'aria-label': 'Query direction' }, el('option', { value: 'i2t' }, 'image → text'), el('option', { value: 't2i' }, 'text → image')),
    ranks: el('div', { id: 'ranks' }),
  };
  l.activity.append(l.progressBar, el('div', { class: 'status-row' }, l.statusIcon, l.status, l.cancel));
  const sectionHead = (title: string, ...controls: Node[]) => el('div', { class: 'section-head' }, el('h2', {}, title), ...controls);
  l.ranksSection.append(sectionHead('Per-query rank changes', el('label', { class: 'picker-label' }, 'Queries ', l.rankDirection)), l.ranks);
  l.results.append(
    el('section', { class: 'section' }, sectionHead('Metrics', el('label', { class: 'picker-label' }, 'Baseline ', l.baseline)), l.metrics),
    el('section', { class: 'charts' }, panel('plane'), panel('histograms'), panel('recall', 'wide')),
    l.ranksSection,
  );
  root.replaceChildren(
    el(
      'header',
      { class: 'page-header' },
      el(
        'div',
        { class: 'title-row' },
        el('div', { class: 'title-block' }, el('div', { class: 'eyebrow' }, 'Embedding Lens · Compare'), l.title),
        el('div', { class: 'actions' }, l.rerun, l.exportCsv, l.exportJson),
      ),
      l.facts,
    ),
    l.activity,
    l.notComparable,
    l.empty,
    l.results,
  );
  return l;
}
