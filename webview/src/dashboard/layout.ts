import { el } from '../dom';
import { button, chartPanel, pageHeader, pageTop, type PageTop, type VscodeButton } from '../pageParts';
import type { DashboardChart } from './chartOptions';

export interface DashboardLayout extends PageTop {
  run: VscodeButton;
  cancel: VscodeButton;
  openBest: VscodeButton;
  empty: HTMLElement;
  results: HTMLElement;
  charts: Record<DashboardChart, HTMLElement>;
}

const panels: { name: DashboardChart; title: string; note: string; wide?: boolean }[] = [
  { name: 'loss', title: 'Loss per step', note: 'Total (weighted sum) and each term unweighted, on the training batches.', wide: true },
  { name: 'lr', title: 'Learning rate', note: 'Linear warm-up, then cosine decay.' },
  { name: 'recall', title: 'R@1 of the eval split', note: 'Epoch 0 is before training. Higher is better.' },
  { name: 'geometry', title: 'Uniformity and alignment', note: 'Eval split; lower is better for both.' },
  { name: 'hardNegative', title: 'Hardest-negative alignment and modality gap', note: 'Eval split; below 0, positives sit closer than the hardest negative.' },
];

export function buildDashboard(root: HTMLElement): DashboardLayout {
  const charts = {} as Record<DashboardChart, HTMLElement>;
  const figures = panels.map((p) => {
    const { panel, chart } = chartPanel(p.name, p.title, el('p', { class: 'note' }, p.note), { wide: p.wide });
    charts[p.name] = chart;
    return panel;
  });
  const l: DashboardLayout = {
    // The dashboard's strip is always shown (it carries the run's status); Cancel is a header action.
    ...pageTop(root, false),
    run: button('run', 'play', 'Run'),
    cancel: button('cancel', 'stop-circle', 'Cancel', true),
    openBest: button('open-best', 'go-to-file', 'Open best checkpoint', true),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the run…'),
    results: el('section', { id: 'results', class: 'charts', hidden: '' }, ...figures),
    charts,
  };
  root.replaceChildren(
    pageHeader('Embedding Lens · m²-Mix fine-tuning', l, l.run, l.cancel, l.openBest),
    l.activity,
    l.empty,
    l.results,
  );
  return l;
}
