import { el } from '../dom';
import type { DashboardChart } from './chartOptions';

type VscodeButton = HTMLElementTagNameMap['vscode-button'];

export interface DashboardLayout {
  title: HTMLElement;
  facts: HTMLElement;
  run: VscodeButton;
  cancel: VscodeButton;
  openBest: VscodeButton;
  activity: HTMLElement;
  progressBar: HTMLElementTagNameMap['vscode-progress-bar'];
  statusIcon: HTMLElement;
  status: HTMLElement;
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
  const button = (id: string, icon: string, label: string, secondary = false) =>
    el('vscode-button', { id, icon, secondary: secondary ? '' : undefined }, label);
  const charts = {} as Record<DashboardChart, HTMLElement>;
  const figures = panels.map((p) => {
    charts[p.name] = el('div', { class: 'chart', 'data-chart': p.name, role: 'img', 'aria-label': p.title });
    return el('figure', { class: `chart-panel ${p.wide ? 'wide' : ''}` }, el('figcaption', {}, el('h2', {}, p.title), el('p', { class: 'note' }, p.note)), charts[p.name]);
  });
  const l: DashboardLayout = {
    title: el('h1', { id: 'title' }, root.dataset.title ?? ''),
    facts: el('dl', { id: 'facts', class: 'facts' }),
    run: button('run', 'play', 'Run'),
    cancel: button('cancel', 'stop-circle', 'Cancel', true),
    openBest: button('open-best', 'go-to-file', 'Open best checkpoint', true),
    activity: el('section', { id: 'activity', class: 'activity' }),
    progressBar: el('vscode-progress-bar', { id: 'progress-bar', max: '100' }),
    statusIcon: el('span', { class: 'codicon', 'aria-hidden': 'true' }),
    status: el('div', { id: 'status', role: 'status', 'aria-live': 'polite' }),
    empty: el('p', { id: 'empty', class: 'empty' }, 'Waiting for the run…'),
    results: el('section', { id: 'results', class: 'charts', hidden: '' }, ...figures),
    charts,
  };
  l.activity.append(l.progressBar, el('div', { class: 'status-row' }, l.statusIcon, l.status));
  root.replaceChildren(
    el(
      'header',
      { class: 'page-header' },
      el(
        'div',
        { class: 'title-row' },
        el('div', { class: 'title-block' }, el('div', { class: 'eyebrow' }, 'Embedding Lens · m²-Mix fine-tuning'), l.title),
        el('div', { class: 'actions' }, l.run, l.cancel, l.openBest),
      ),
      l.facts,
    ),
    l.activity,
    l.empty,
    l.results,
  );
  return l;
}
