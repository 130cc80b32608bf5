import type { ChartName } from './charts/chartSet';
import { el } from './dom';
import { button, chartPanel, pageHeader, pageTop, type PageTop, type VscodeButton } from './pageParts';

/** Handles on the parts of the page that change; the skeleton itself is built once. */
export interface Layout extends PageTop {
  rerun: VscodeButton;
  exportJson: VscodeButton;
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

export function buildLayout(root: HTMLElement): Layout {
  const note = (id: string) => el('p', { class: 'note', id });

  const scatterNote = note('scatter-note');
  const histogramNote = el('p', { class: 'note' }, 'Cosine similarity of each true pair and of each image’s closest wrong caption; less overlap is better.');
  const eceNote = note('ece-note');
  const scatter = chartPanel('scatter', 'Embedding space (PCA of both modalities)', scatterNote, { wide: true });
  const histogram = chartPanel('histogram', 'Positive vs hardest-negative similarity', histogramNote);
  const reliability = chartPanel('reliability', 'Reliability diagram (image → text)', eceNote);

  const cancel = button('cancel', 'stop-circle', 'Cancel', true);
  const layout: Layout = {
    ...pageTop(root, true, cancel),
    rerun: button('rerun', 'refresh', 'Re-run'),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    cancel,
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
  l.results.append(l.cards, el('section', { class: 'charts' }, scatter.panel, histogram.panel, reliability.panel));
  root.replaceChildren(
    pageHeader('Embedding Lens', l, l.rerun, l.exportJson),
    l.activity,
    l.warnings,
    l.metadata,
    l.empty,
    l.results,
  );
  return layout;
}
