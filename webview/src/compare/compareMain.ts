import {
  compareChartsOf,
  isSuiteComparison,
  type AnyCompareSnapshot,
  type CompareViewToHost,
  type HostToCompareView,
} from '../../../src/protocol/comparePanel';
import { wireChartExport } from '../charts/chartExport';
import { el } from '../dom';
import { formatCount, formatSeconds } from '../format';
import { hideActivity, showError, showProgress } from '../activityStrip';
import { onThemeChange } from '../theme';
import { webviewApi, type SectionsState } from '../webviewApi';
import { CompareCharts } from './compareCharts';
import { buildCompareLayout, type CompareLayout } from './compareLayout';
import './compare.css';
import { renderBaselinePicker, renderMetricsTable } from './metricsTable';
import { RankTable } from './rankTable';

/** What survives the panel being hidden. */
interface CompareState extends SectionsState {
  snapshot?: AnyCompareSnapshot;
  /** The rank table's direction and sort, kept across hide and show. */
  rankDirection?: 'i2t' | 't2i';
}

const api = webviewApi<CompareViewToHost, CompareState>();

/** Pairs × width of retrieval checkpoints, or the suites' sets. */
function sizeFact(s: AnyCompareSnapshot): [string, string] {
  if (isSuiteComparison(s)) return ['Suites', 'in-distribution top-1 against the mean over shifted sets'];
  return [
    'Pairs × dims',
    [...new Set(s.checkpoints.map((c) => `${formatCount(c.result.n_text)} × ${formatCount(c.result.dim)}`))].join(', '),
  ];
}

function renderFacts(layout: CompareLayout, s: AnyCompareSnapshot): void {
  const fact = (label: string, value: string) => el('div', { class: 'fact' }, el('dt', {}, label), el('dd', {}, value));
  layout.facts.replaceChildren(
    fact('Checkpoints', String(s.checkpoints.length)),
    fact(...sizeFact(s)),
    fact('Backend', s.backend),
    fact('Time', formatSeconds(s.seconds)),
  );
}

/** The compare panel: a full snapshot in, every part re-rendered from it. */
export function startCompareView(root: HTMLElement): void {
  // A section opened after being collapsed holds charts drawn at zero size: fit them again.
  const layout = buildCompareLayout(root, () => charts.resize());
  const charts = new CompareCharts(layout.charts);
  const ranks = new RankTable(layout.ranks);
  let state: CompareState = api.getState() ?? {};

  const render = (s: AnyCompareSnapshot) => {
    hideActivity(layout);
    layout.empty.hidden = true;
    layout.results.hidden = false;
    layout.exportCsv.disabled = layout.exportJson.disabled = false;
    layout.title.textContent = s.title;
    renderFacts(layout, s);
    layout.notComparable.hidden = s.notComparable.length === 0;
    layout.notComparable.replaceChildren(
      el('span', { class: 'codicon codicon-info', 'aria-hidden': 'true' }),
      el('ul', {}, ...s.notComparable.map((n) => el('li', {}, n))),
    );
    renderBaselinePicker(layout.baseline, s);
    renderMetricsTable(layout.metrics, s);
    const drawn = new Set(compareChartsOf(s).map((c) => c.id));
    for (const [name, panel] of Object.entries(layout.panels)) panel.hidden = !drawn.has(name);
    layout.ranksSection.hidden = isSuiteComparison(s) || !s.rankChanges;
    layout.rankDirection.value = state.rankDirection ?? 'i2t';
    if (!isSuiteComparison(s)) ranks.render(s, state.rankDirection ?? 'i2t');
    // Charts measure their containers, so they draw once #results is visible.
    charts.render(s);
  };
  const save = (next: CompareState) => {
    state = next;
    // Only this view's own keys: the sections keep their collapsed ids in the same state, newer than `state`'s copy.
    api.setState({ ...api.getState(), snapshot: state.snapshot, rankDirection: state.rankDirection });
  };

  const answerExport = wireChartExport(charts, layout.exportImage, (m) => api.postMessage(m));
  window.addEventListener('message', (e: MessageEvent<HostToCompareView>) => {
    const m = e.data;
    if (!m || typeof m !== 'object' || !('type' in m)) return;
    if (m.type === 'exportChart') answerExport(m);
    else if (m.type === 'snapshot') {
      save({ ...state, snapshot: m.snapshot });
      render(m.snapshot);
    } else {
      layout.empty.hidden = true;
      if (m.type === 'progress') showProgress(layout, m.fraction, m.message);
      else showError(layout, m.message);
    }
  });
  layout.rerun.addEventListener('click', () => api.postMessage({ type: 'rerun' }));
  layout.cancel.addEventListener('click', () => api.postMessage({ type: 'cancel' }));
  layout.exportCsv.addEventListener('click', () => api.postMessage({ type: 'exportMetrics', format: 'csv' }));
  layout.exportJson.addEventListener('click', () => api.postMessage({ type: 'exportMetrics', format: 'json' }));
  layout.baseline.addEventListener('change', () =>
    api.postMessage({ type: 'setBaseline', baseline: Number(layout.baseline.value) }),
  );
  layout.rankDirection.addEventListener('change', () => {
    const direction = layout.rankDirection.value === 't2i' ? 't2i' : 'i2t';
    save({ ...state, rankDirection: direction });
    if (state.snapshot && !isSuiteComparison(state.snapshot)) ranks.render(state.snapshot, direction);
  });
  onThemeChange(() => charts.redraw());

  if (state.snapshot) render(state.snapshot);
  api.postMessage({ type: 'ready' });
}
