import { analysisCharts } from '../../../src/protocol/analysisPanel';
import { imageButtons, type ImageButton } from '../charts/chartExport';
import type { ChartName } from '../charts/chartSet';
import { el } from '../dom';
import { button, chartPanel, pageHeader, pageTop, type PageTop, type VscodeButton } from '../pageParts';
import { collapsibleSection } from '../sections';
import { buildZeroShotSection, type ZeroShotSection } from '../zeroShot/zeroShotSection';

/** Handles on the parts of the analysis page that change; the skeleton itself is built once. */
export interface AnalysisLayout extends PageTop {
  rerun: VscodeButton;
  exportJson: VscodeButton;
  exportCsv: VscodeButton;
  /** Each chart's PNG and SVG buttons. */
  exportImage: ImageButton[];
  cancel: VscodeButton;
  /** The "?" toggle: shows every metric's explanation under its value (otherwise on hover only). */
  explain: VscodeButton;
  /** Pins this checkpoint as the overview's baseline, or unpins it when it is the pinned one. */
  pinBaseline: VscodeButton;
  /** Which checkpoint the overview's changes are against. */
  baselineNote: HTMLElement;
  warnings: HTMLElement;
  metadata: HTMLElement;
  empty: HTMLElement;
  results: HTMLElement;
  /** The retrieval cards and charts of a file of pairs; hidden for a classification set or a suite. */
  retrieval: HTMLElement;
  cards: HTMLElement;
  /** A suite's table of sets. */
  suite: HTMLElement;
  zeroShot: ZeroShotSection;
  scatterNote: HTMLElement;
  eceNote: HTMLElement;
  sphereNote: HTMLElement;
  /** Switches the sphere between PCA and DOSNES; its label names the layout a click shows. */
  sphereLayout: VscodeButton;
  calibrationNote: HTMLElement;
  charts: Record<ChartName, HTMLElement>;
}

export function buildAnalysisLayout(root: HTMLElement, onExpand: () => void): AnalysisLayout {
  const note = (id: string) => el('p', { class: 'note', id });

  const scatterNote = note('scatter-note');
  const histogramNote = el(
    'p',
    { class: 'note' },
    'Cosine similarity of each true pair and of each image’s closest wrong caption; less overlap is better.',
  );
  const eceNote = note('ece-note');
  const sphereNote = note('sphere-note');
  const calibrationNote = note('calibration-note');
  const exportImage: AnalysisLayout['exportImage'] = [];
  const sphereLayout = button('sphere-layout', 'globe', 'DOSNES', true);
  sphereLayout.title = 'Switch the sphere between its PCA and DOSNES layouts';
  const panel = (name: ChartName, noteEl: HTMLElement, extra: HTMLElement[] = []) => {
    const chart = analysisCharts.find((c) => c.id === name)!;
    return chartPanel(name, chart.title, noteEl, {
      action: el('div', { class: 'chart-actions' }, ...extra, ...imageButtons(chart, exportImage)),
    });
  };
  const scatter = panel('scatter', scatterNote);
  const sphere = panel('sphere', sphereNote, [sphereLayout]);
  const histogram = panel('histogram', histogramNote);
  const reliability = panel('reliability', eceNote);
  const calibration = panel('calibration', calibrationNote);
  const zeroShot = buildZeroShotSection(exportImage, onExpand);

  const cancel = button('cancel', 'stop-circle', 'Cancel', true);
  const explain = Object.assign(button('explain', 'question', 'Explain', true), {
    title: 'Show what each metric means',
  });
  explain.setAttribute('aria-pressed', 'false');
  const pinBaseline = Object.assign(button('pin-baseline', 'pin', 'Pin as baseline', true), {
    title: 'Remember these metrics; every analysis in this workspace then shows its change against them',
  });
  const layout: AnalysisLayout = {
    ...pageTop(root, true, cancel),
    rerun: button('rerun', 'refresh', 'Re-run'),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    exportCsv: Object.assign(button('export-csv', 'save', 'Export CSV', true), { disabled: true }),
    exportImage,
    cancel,
    explain,
    pinBaseline,
    baselineNote: el('p', { id: 'baseline-note', class: 'note baseline-note' }),
    warnings: el('div', { id: 'warnings', class: 'banner warning', role: 'alert', hidden: '' }),
    metadata: el('details', { id: 'metadata', class: 'metadata', open: '', hidden: '' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the analysis…'),
    results: el('div', { id: 'results', hidden: '' }),
    retrieval: el('div', { id: 'retrieval' }),
    cards: el('div', { id: 'cards' }),
    suite: el('section', { id: 'suite', class: 'card-group', hidden: '' }),
    zeroShot,
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
      ...zeroShot.charts,
    },
  };
  const l = layout; // the assembly below reads better short
  // The overview and the three geometry charts fill the first screen; the rest waits below.
  const overview = collapsibleSection('overview', 'Overview', { controls: [l.baselineNote, l.pinBaseline] });
  overview.body.append(l.cards);
  const geometry = collapsibleSection('geometry', 'Geometry', { onExpand });
  geometry.body.append(el('div', { class: 'charts first-screen' }, sphere.panel, scatter.panel, histogram.panel));
  const calibrationCharts = collapsibleSection('calibration-charts', 'Calibration', { onExpand });
  calibrationCharts.body.append(el('div', { class: 'charts' }, reliability.panel, calibration.panel));
  l.retrieval.append(overview.section, geometry.section, calibrationCharts.section);
  // A file with pairs and classes shows both: retrieval first, as the file's own kind, then zero-shot.
  l.results.append(l.suite, l.retrieval, l.zeroShot.section);
  root.replaceChildren(
    pageHeader('Embedding Lens', l, l.rerun, l.exportJson, l.exportCsv, l.explain),
    l.activity,
    l.warnings,
    l.metadata,
    l.empty,
    l.results,
  );
  return layout;
}
