import type { ChartName } from './charts/chartSet';
import { el } from './dom';

type VscodeButton = HTMLElementTagNameMap['vscode-button'];

/** Handles on the parts of the page that change; the skeleton itself is built once. */
export interface Layout {
  title: HTMLElement;
  facts: HTMLElement;
  rerun: VscodeButton;
  exportJson: VscodeButton;
  activity: HTMLElement;
  progressBar: HTMLElementTagNameMap['vscode-progress-bar'];
  statusIcon: HTMLElement;
  status: HTMLElement;
  cancel: VscodeButton;
  warnings: HTMLElement;
  metadata: HTMLElement;
  empty: HTMLElement;
  results: HTMLElement;
  cards: HTMLElement;
  scatterNote: HTMLElement;
  eceNote: HTMLElement;
  charts: Record<ChartName, HTMLElement>;
}

function chartPanel(name: ChartName, title: string, note: HTMLElement, cls = ''): { panel: HTMLElement; chart: HTMLElement } {
  const chart = el('div', { class: 'chart', 'data-chart': name, role: 'img', 'aria-label': title });
  return { panel: el('figure', { class: `chart-panel ${cls}` }, el('figcaption', {}, el('h2', {}, title), note), chart), chart };
}

export function buildLayout(root: HTMLElement): Layout {
  const note = (id: string) => el('p', { class: 'note', id });
  const button = (id: string, icon: string, label: string, secondary = false) =>
    el('vscode-button', { id, icon, secondary: secondary ? '' : undefined }, label);

  const scatterNote = note('scatter-note');
  const histogramNote = el('p', { class: 'note' }, 'Cosine similarity of each true pair and of each image’s closest wrong caption; less overlap is better.');
  const eceNote = note('ece-note');
  const scatter = chartPanel('scatter', 'Embedding space (PCA of both modalities)', scatterNote, 'wide');
  const histogram = chartPanel('histogram', 'Positive vs hardest-negative similarity', histogramNote);
  const reliability = chartPanel('reliability', 'Reliability diagram (image → text)', eceNote);

  const layout: Layout = {
    title: el('h1', { id: 'title' }, root.dataset.title ?? ''),
    facts: el('dl', { id: 'facts', class: 'facts' }),
    rerun: button('rerun', 'refresh', 'Re-run'),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    activity: el('section', { id: 'activity', class: 'activity', hidden: '' }),
    progressBar: el('vscode-progress-bar', { id: 'progress-bar', max: '100' }),
    statusIcon: el('span', { class: 'codicon', 'aria-hidden': 'true' }),
    status: el('div', { id: 'status', role: 'status', 'aria-live': 'polite' }),
    cancel: button('cancel', 'stop-circle', 'Cancel', true),
    warnings: el('div', { id: 'warnings', class: 'banner warning', role: 'alert', hidden: '' }),
    metadata: el('details', { id: 'metadata', class: 'metadata', open: '', hidden: '' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the analysis…'),
    results: el('div', { id: 'results', hidden: '' }),
    cards: el('div', { id: 'cards' }),
    scatterNote,
    eceNote,
    charts: { scatter: scatter.chart, histogram: histogram.chart, reliability: reliability.chart },
  };
  const l = layout; // the assembly below reads better short
  l.activity.append(l.progressBar, el('div', { class: 'status-row' }, l.statusIcon, l.status, l.cancel));
  l.results.append(l.cards, el('section', { class: 'charts' }, scatter.panel, histogram.panel, reliability.panel));
  root.replaceChildren(
    el(
      'header',
      { class: 'page-header' },
      el('div', { class: 'title-row' }, el('div', { class: 'title-block' }, el('div', { class: 'eyebrow' }, 'Embedding Lens'), l.title), el('div', { class: 'actions' }, l.rerun, l.exportJson)),
      l.facts,
    ),
    l.activity,
    l.warnings,
    l.metadata,
    l.empty,
    l.results,
  );
  return layout;
}
