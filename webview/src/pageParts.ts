/** The page skeleton every view shares (analysis, compare, dashboard), so they look and read alike. */
import { el } from './dom';

export type VscodeButton = HTMLElementTagNameMap['vscode-button'];

export const button = (id: string, icon: string, label: string, secondary = false): VscodeButton =>
  el('vscode-button', { id, icon, secondary: secondary ? '' : undefined }, label);

/** The title, the facts list and the activity strip (progress bar and status row) at the top of each page. */
export interface PageTop {
  title: HTMLElement;
  facts: HTMLElement;
  activity: HTMLElement;
  progressBar: HTMLElementTagNameMap['vscode-progress-bar'];
  statusIcon: HTMLElement;
  status: HTMLElement;
}

/** Builds the PageTop parts, the strip assembled with `statusRowExtras` (e.g. Cancel) after the status. */
export function pageTop(root: HTMLElement, activityHidden: boolean, ...statusRowExtras: Node[]): PageTop {
  const top: PageTop = {
    title: el('h1', { id: 'title' }, root.dataset.title ?? ''),
    facts: el('dl', { id: 'facts', class: 'facts' }),
    activity: el('section', { id: 'activity', class: 'activity', hidden: activityHidden ? '' : undefined }),
    progressBar: el('vscode-progress-bar', { id: 'progress-bar', max: '100' }),
    statusIcon: el('span', { class: 'codicon', 'aria-hidden': 'true' }),
    status: el('div', { id: 'status', role: 'status', 'aria-live': 'polite' }),
  };
  top.activity.append(
    top.progressBar,
    el('div', { class: 'status-row' }, top.statusIcon, top.status, ...statusRowExtras),
  );
  return top;
}

/** The page header: eyebrow and title on the left, the action buttons on the right, the facts below. */
export function pageHeader(eyebrow: string, top: PageTop, ...actions: Node[]): HTMLElement {
  return el(
    'header',
    { class: 'page-header' },
    el(
      'div',
      { class: 'title-row' },
      el('div', { class: 'title-block' }, el('div', { class: 'eyebrow' }, eyebrow), top.title),
      el('div', { class: 'actions' }, ...actions),
    ),
    top.facts,
  );
}

/**
 * One chart in its figure: the heading with `action` (e.g. a PNG button) beside it, the chart, then
 * the caption: `note` and the chart's text alternative (a summary and its data as a table, behind a
 * disclosure the keyboard reaches), which ChartHost fills at each draw. The caption comes after the
 * chart so the charts start high on the page. `wide` spans the grid's full width.
 */
export function chartPanel(
  name: string,
  title: string,
  note: HTMLElement,
  { wide = false, action }: { wide?: boolean; action?: Node } = {},
): { panel: HTMLElement; chart: HTMLElement } {
  const headingId = `${name}-heading`;
  const chart = el('div', {
    class: 'chart',
    'data-chart': name,
    role: 'img',
    'aria-label': title,
    'aria-describedby': `${name}-summary`,
  });
  const heading = el('h2', { id: headingId }, title);
  const data = el(
    'details',
    { class: 'chart-data', id: `${name}-data` },
    el('summary', {}, 'Data as text'),
    el('p', { class: 'chart-summary', id: `${name}-summary` }),
    el('div', { class: 'chart-table table-scroll' }),
  );
  return {
    panel: el(
      'figure',
      { class: `chart-panel ${wide ? 'wide' : ''}`, 'aria-labelledby': headingId },
      action ? el('div', { class: 'panel-title' }, heading, action) : heading,
      chart,
      el('figcaption', {}, note, data),
    ),
    chart,
  };
}

/** A warning banner listing `lines`, hidden when there are none. */
export function renderBannerList(target: HTMLElement, lines: string[]): void {
  target.hidden = lines.length === 0;
  target.replaceChildren(
    el('span', { class: 'codicon codicon-warning', 'aria-hidden': 'true' }),
    el('ul', {}, ...lines.map((line) => el('li', {}, line))),
  );
}
