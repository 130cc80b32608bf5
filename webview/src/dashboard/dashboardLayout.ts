import { dashboardCharts } from '../../../src/protocol/dashboard';
import { imageButtons, type ImageButton } from '../charts/chartExport';
import { el } from '../dom';
import { button, chartPanel, pageHeader, pageTop, type PageTop, type VscodeButton } from '../pageParts';
import type { DashboardChart } from './chartOptions';

export interface DashboardLayout extends PageTop {
  run: VscodeButton;
  cancel: VscodeButton;
  openBest: VscodeButton;
  exportCsv: VscodeButton;
  exportJson: VscodeButton;
  /** Each chart's PNG and SVG buttons. */
  exportImage: ImageButton[];
  /** The run's notes (see StartEvent). */
  notes: HTMLElement;
  empty: HTMLElement;
  results: HTMLElement;
  charts: Record<DashboardChart, HTMLElement>;
}

const notes: Record<DashboardChart, string> = {
  loss: 'Total (weighted sum) and each term unweighted, on the training batches.',
  lr: 'Linear warm-up, then cosine decay.',
  recall: 'Epoch 0 is before training. Higher is better.',
  geometry: 'Eval split; lower is better for both.',
  hardNegative: 'Eval split; below 0, positives sit closer than the hardest negative.',
  suites:
    'Top-1 through the heads, epoch 0 before training: a run that buys in-distribution accuracy at the cost of robustness shows the dashed line falling behind.',
};

export function buildDashboard(root: HTMLElement): DashboardLayout {
  const charts = {} as Record<DashboardChart, HTMLElement>;
  const exportImage: ImageButton[] = [];
  const figures = dashboardCharts.map((c) => {
    const action = el('div', { class: 'chart-actions' }, ...imageButtons(c, exportImage));
    const { panel, chart } = chartPanel(c.id, c.title, el('p', { class: 'note' }, notes[c.id]), {
      wide: c.id === 'loss',
      action,
    });
    charts[c.id] = chart;
    return panel;
  });
  const l: DashboardLayout = {
    // The dashboard's strip is always shown (it carries the run's status); Cancel is a header action.
    ...pageTop(root, false),
    run: button('run', 'play', 'Run'),
    cancel: button('cancel', 'stop-circle', 'Cancel', true),
    openBest: button('open-best', 'go-to-file', 'Open best checkpoint', true),
    exportCsv: Object.assign(button('export-csv', 'save', 'Export CSV', true), { disabled: true }),
    exportJson: Object.assign(button('export-json', 'save', 'Export JSON', true), { disabled: true }),
    exportImage,
    notes: el('div', { id: 'notes', class: 'banner warning', role: 'status', hidden: '' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the run…'),
    results: el('section', { id: 'results', class: 'charts', hidden: '' }, ...figures),
    charts,
  };
  root.replaceChildren(
    pageHeader('Embedding Lens · m²-Mix fine-tuning', l, l.run, l.cancel, l.openBest, l.exportCsv, l.exportJson),
    l.activity,
    l.notes,
    l.empty,
    l.results,
  );
  return l;
}
