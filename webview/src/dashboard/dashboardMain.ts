import './dashboard.css';
import type { EChartsType } from 'echarts/core';
import type { DashboardSnapshot, DashboardToHost, HostToDashboard } from '../../../src/protocol/dashboard';
import { wireChartExport } from '../charts/chartExport';
import { ChartHost } from '../charts/chartHost';
import { el } from '../dom';
import { renderBannerList } from '../pageParts';
import { onThemeChange } from '../theme';
import { webviewApi, type SectionsState } from '../webviewApi';
import { optionFor, type DashboardChart } from './chartOptions';
import './dashboardEcharts';
import { buildDashboard, type DashboardLayout } from './dashboardLayout';
import { renderStatus } from './dashboardStatus';

declare global {
  interface Window {
    /** Test seam: the live chart instances, so browser tests can read back what was drawn. */
    embeddingLensDashboardCharts?: Partial<Record<DashboardChart, EChartsType>>;
  }
}

/** What survives the dashboard being hidden. */
interface DashboardState extends SectionsState {
  dashboard?: DashboardSnapshot;
}

const api = webviewApi<DashboardToHost, DashboardState>();

function renderFacts(target: HTMLElement, s: DashboardSnapshot): void {
  const fact = (label: string, value: string, cls = '') =>
    el('div', { class: `fact ${cls}` }, el('dt', {}, label), el('dd', {}, value));
  const epoch = s.evals.epoch.at(-1);
  target.replaceChildren(
    fact('Config', s.configFile, 'files'),
    fact('Run folder', s.runDir ?? '—', 'files'),
    fact('Epochs evaluated', epoch === undefined ? '—' : `${epoch} of ${s.epochs}`),
    fact('Best epoch', s.bestEpoch === undefined ? '—' : String(s.bestEpoch)),
  );
  if (s.engine) target.append(fact('Engine', `${s.engine.engine} on ${s.engine.device}`, 'engine'));
  if (s.ranks !== undefined) target.append(fact('Ranks', String(s.ranks)));
  if (s.samplesPerSecond !== undefined)
    target.append(fact('Samples/s', s.samplesPerSecond.toLocaleString('en-US', { maximumFractionDigits: 0 })));
  if (s.steps.stride > 1) target.append(fact('Steps drawn', `every ${s.steps.stride}th`));
}

/** The training dashboard: status, buttons and five line charts, redrawn from each full snapshot. */
export function startDashboard(root: HTMLElement): void {
  document.body.classList.add('dashboard');
  const layout: DashboardLayout = buildDashboard(root);
  const charts = new ChartHost(layout.charts, optionFor);
  window.embeddingLensDashboardCharts = charts.charts;

  const render = (s: DashboardSnapshot): void => {
    layout.title.textContent = s.name;
    renderFacts(layout.facts, s);
    renderStatus(layout, s);
    renderBannerList(layout.notes, s.notes ?? []);
    const hasData = s.steps.step.length > 0 || s.evals.epoch.length > 0;
    layout.empty.hidden = hasData;
    // Charts measure their containers, so they draw once the section is visible.
    layout.results.hidden = !hasData;
    // Only a run with evalSuites has the suites chart (its option is undefined otherwise).
    layout.charts.suites.closest('figure')!.hidden = !s.evals.suites?.length;
    layout.exportCsv.disabled = layout.exportJson.disabled = !hasData;
    if (hasData) charts.render(s);
  };

  const answerExport = wireChartExport(charts, layout.exportImage, (m) => api.postMessage(m));
  window.addEventListener('message', (e: MessageEvent<HostToDashboard>) => {
    if (e.data?.type === 'exportChart') answerExport(e.data);
    if (e.data?.type !== 'snapshot') return;
    api.setState({ dashboard: e.data.snapshot });
    render(e.data.snapshot);
  });
  // A theme change while the results are hidden waits for the next snapshot that shows them.
  onThemeChange(() => {
    if (!layout.results.hidden) charts.redraw();
  });
  layout.run.addEventListener('click', () => api.postMessage({ type: 'run' }));
  layout.cancel.addEventListener('click', () => api.postMessage({ type: 'cancel' }));
  layout.openBest.addEventListener('click', () => api.postMessage({ type: 'openBest' }));
  layout.exportCsv.addEventListener('click', () => api.postMessage({ type: 'exportMetrics', format: 'csv' }));
  layout.exportJson.addEventListener('click', () => api.postMessage({ type: 'exportMetrics', format: 'json' }));

  const restored = api.getState()?.dashboard;
  if (restored) render(restored);
  api.postMessage({ type: 'ready' });
}
