import { analysisCharts } from '../../src/protocol/analysisPanel';
import { imageButtons, type ImageButton } from './charts/chartExport';
import type { ChartName } from './charts/chartSet';
import { el } from './dom';
import { button, chartPanel, pageHeader, pageTop, type PageTop, type VscodeButton } from './pageParts';

/** Handles on the parts of the page that change; the skeleton itself is built once. */
export interface Layout extends PageTop {
  rerun: VscodeButton;
  exportJson: VscodeButton;
  exportCsv: VscodeButton;
  /** Each chart's PNG and SVG buttons. */
  exportImage: ImageButton[];
  cancel: VscodeButton;
  warnings: HTMLElement;
  metadata: HTMLElement;
  empty: HTMLElement;
  results: HTMLElement;
  cards: HTMLElement;
  scatterNote: HTMLElement;
  eceNote: HTMLElement;
  sphereNote: HTMLElement;
  /** Switches the sphere between PCA and DOSNES; its label names the layout a click shows. */
  sphereLayout: VscodeButton;
  calibrationNote: HTMLElement;
  charts: Record<ChartName, HTMLElement>;
}

export function buildLayout(root: HTMLElement): Layout {
  const note = (id: string) => el('p', { class: 'note', id });

  const scatterNote = note('scatter-note');
  const histogramNote = el('p', { class: 'note' }, 'Cosine similarity of each true pair and of each image’s closest wrong caption; less overlap is better.');
  const eceNote = note('ece-note');
  const sphereNote = note('sphere-note');
  const calibrationNote = note('calibration-note');
  const exportImage: Layout['exportImage'] = [];
  const sphereLayout = button('sphere-layout', 'globe', 'DOSNES', true);
  sphereLayout.title = 'Switch the sphere between its PCA and DOSNES layouts';
  const panel = (name: ChartName, noteEl: HTMLElement, wide = false, extra: HTMLElement[] = []) => {
    const chart = analysisCharts.find((c) => c.id === name)!;
    return chartPanel(name, chart.title, noteEl, { wide, action: el('div', { class: 'chart-actions' }, ...extra, ...imageButtons(chart, exportImage)) });
  };
  const scatter = panel('scatter', scatterNote, true);
  const sphere = panel('sphere', sphereNote, true, [sphereLayout]);
  const histogram = panel('histogram', histogramNote, true);
  const reliability = panel('reliability', eceNote);
  const calibration = panel('calibration', calibrationNote);

  const cancel = button('cancel', 'stop-circle', 'Cancel', true);
  const layout: Layout = {
    ...pageTop(root, true, cancel),
    rerun: button('rerun', 'refresh', 'Re-run'),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    exportCsv: Object.assign(button('export-csv', 'save', 'Export CSV', true), { disabled: true }),
    exportImage,
    cancel,
    warnings: el('div', { id: 'warnings', class: 'banner warning', role: 'alert', hidden: '' }),
    metadata: el('details', { id: 'metadata', class: 'metadata', open: '', hidden: '' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the analysis…'),
    results: el('div', { id: 'results', hidden: '' }),
    cards: el('div', { id: 'cards' }),
    scatterNote,
    eceNote,
    sphereNote,
    sphereLayout,
    calibrationNote,
    charts: {
      scatter: scatter.chart,
      sphere: sphere.chart,
      histogram: histogram.chart,
      reliability: reliability.chart,
      calibration: calibration.chart,
    },
  };
  const l = layout; // the assembly below reads better short
  const panels = [scatter, sphere, histogram, reliability, calibration].map((p) => p.panel);
  l.results.append(l.cards, el('section', { class: 'charts' }, ...panels));
  root.replaceChildren(
    pageHeader('Embedding Lens', l, l.rerun, l.exportJson, l.exportCsv),
    l.activity,
    l.warnings,
    l.metadata,
    l.empty,
    l.results,
  );
  return layout;
}
