import { compareChartsOf, isSuiteComparison, type AnyCompareSnapshot, type HostToCompareView } from '../../../src/protocol/comparePanel';
import { wireChartExport } from '../charts/chartExport';
import { el } from '../dom';
import { formatCount, formatSeconds } from '../format';
import { hideActivity, showError, showProgress } from '../status';
import { onThemeChange } from '../theme';
import { compareApi, type CompareState } from './compareApi';
import { CompareCharts } from './compareCharts';
import { buildCompareLayout, type CompareLayout } from './compareLayout';
import './compare.css';
import { renderBaselinePicker, renderMetricsTable } from './metricsTable';
import { RankTable } from './rankTable';

/** Pairs × width of retrieval checkpoints, or the suites' sets. */
function sizeFact(s: AnyCompareSnapshot): [string, string] {
  if (isSuiteComparison(s)) return ['Suites', 'in-distribution top-1 against the mean over shifted sets'];
  return ['Pairs × dims', [...new Set(s.checkpoints.map((c) => `${formatCount(c.result.n_text)} × ${formatCount(c.result.dim)}`))].join(', ')];
}

function renderFacts(l: CompareLayout, s: AnyCompareSnapshot): void {
  const fact = (label: string, value: string) => el('div', { class: 'fact' }, el('dt', {}, label), el('dd', {}, value));
  l.facts.replaceChildren(fact('Checkpoints', String(s.checkpoints.length)), fact(...sizeFact(s)), fact('Backend', s.backend), fact('Time', formatSeconds(s.seconds)));
}

/** The compare panel: a full snapshot in, every part re-rendered from it. */
export function startCompareView(root: HTMLElement): void {
  // A section opened after being collapsed holds charts drawn at zero size: fit them again.
  const l = buildCompareLayout(root, () => charts.resize());
  const charts = new CompareCharts(l.charts);
  const ranks = new RankTable(l.ranks);
  let state: CompareState = compareApi.getState() ?? {};

  const render = (s: AnyCompareSnapshot) => {
    hideActivity(l);
    l.empty.hidden = true;
    l.results.hidden = false;
    l.exportCsv.disabled = l.exportJson.disabled = false;
    l.title.textContent = s.title;
    renderFacts(l, s);
    l.notComparable.hidden = s.notComparable.length === 0;
    l.notComparable.replaceChildren(el('span', { class: 'codicon codicon-info', 'aria-hidden': 'true' }), el('ul', {}, ...s.notComparable.map((n) => el('li', {}, n))));
    renderBaselinePicker(l.baseline, s);
    renderMetricsTable(l.metrics, s);
    const drawn = new Set(compareChartsOf(s).map((c) => c.id));
    for (const [name, panel] of Object.entries(l.panels)) panel.hidden = !drawn.has(name);
    l.ranksSection.hidden = isSuiteComparison(s) || !s.rankChanges;
    l.rankDirection.value = state.rankDirection ?? 'i2t';
    if (!isSuiteComparison(s)) ranks.render(s, state.rankDirection ?? 'i2t');
    // Charts measure their containers, so they draw once #results is visible.
    charts.render(s);
  };
  const save = (next: CompareState) => {
    state = next;
    // Only this view's own keys: the sections keep their collapsed ids in the same state, newer than `state`'s copy.
    compareApi.setState({ ...compareApi.getState(), snapshot: state.snapshot, rankDirection: state.rankDirection });
  };

  const answerExport = wireChartExport(charts, l.exportImage, (m) => compareApi.postMessage(m));
  window.addEventListener('message', (e: MessageEvent<HostToCompareView>) => {
    const m = e.data;
    if (!m || typeof m !== 'object' || !('type' in m)) return;
    if (m.type === 'exportChart') answerExport(m);
    else if (m.type === 'snapshot') {
      save({ ...state, snapshot: m.snapshot });
      render(m.snapshot);
    } else {
      l.empty.hidden = true;
      if (m.type === 'progress') showProgress(l, m.fraction, m.message);
      else showError(l, m.message);
    }
  });
  l.rerun.addEventListener('click', () => compareApi.postMessage({ type: 'rerun' }));
  l.cancel.addEventListener('click', () => compareApi.postMessage({ type: 'cancel' }));
  l.exportCsv.addEventListener('click', () => compareApi.postMessage({ type: 'exportMetrics', format: 'csv' }));
  l.exportJson.addEventListener('click', () => compareApi.postMessage({ type: 'exportMetrics', format: 'json' }));
  l.baseline.addEventListener('change', () => compareApi.postMessage({ type: 'setBaseline', baseline: Number(l.baseline.value) }));
  l.rankDirection.addEventListener('change', () => {
    const direction = l.rankDirection.value === 't2i' ? 't2i' : 'i2t';
    save({ ...state, rankDirection: direction });
    if (state.snapshot && !isSuiteComparison(state.snapshot)) ranks.render(state.snapshot, direction);
  });
  onThemeChange(() => charts.redraw());

  if (state.snapshot) render(state.snapshot);
  compareApi.postMessage({ type: 'ready' });
}
