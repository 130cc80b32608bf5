import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './main.css';
import { isRetrievalSnapshot, type AnalysisSnapshot, type HostToAnalysisView, type PanelSnapshot } from '../../src/protocol/analysisPanel';
import { wireChartExport } from './charts/chartExport';
import { ChartSet } from './charts/chartSet';
import { startCompareView } from './compare/compareMain';
import { startDashboard } from './dashboard/dashboard';
import { calibrationNote } from './charts/calibrationOption';
import { scatterNote } from './charts/scatterOption';
import { sphereNote } from './charts/sphereOption';
import { byId } from './dom';
import { formatMetric } from './format';
import { renderFacts, renderMetadata, renderTitle, renderWarnings } from './header';
import { buildLayout, type Layout } from './layout';
import { renderMetricCards } from './metricCards';
import { hideActivity, showError, showProgress } from './status';
import { onThemeChange } from './theme';
import { saveState, vscode } from './vscodeApi';
import { renderSuite } from './zeroShot/suiteSection';

// Set once by startAnalysis, before any message can arrive.
let layout: Layout;
let charts: ChartSet;
/** Answers the export commands' requests for a chart image. */
let answerExport: ReturnType<typeof wireChartExport>;
/** The snapshot on screen, for the sphere toggle's note. */
let shown: PanelSnapshot | undefined;
/** The checkpoint on screen is the pinned baseline: the pin button unpins it. */
let baselineIsShown = false;
/** The toggle asked the host for the DOSNES layout: the snapshot that brings it switches to it. */
let awaitingDosnes = false;

function renderSnapshot(s: PanelSnapshot): void {
  shown = s;
  hideActivity(layout);
  layout.empty.hidden = true;
  layout.results.hidden = false;
  layout.exportJson.disabled = false;
  layout.exportCsv.disabled = false;
  renderTitle(layout.title, s.title);
  renderFacts(layout.facts, s);
  renderWarnings(layout.warnings, s);
  const retrieval = isRetrievalSnapshot(s);
  renderMetadata(layout.metadata, retrieval ? s.metadata : undefined);
  layout.retrieval.hidden = !retrieval;
  if (retrieval) renderRetrieval(s);
  else saveState({ snapshot: s });
  layout.suite.hidden = s.kind !== 'suite';
  if (s.kind === 'suite') renderSuite(layout.suite, s.suite);
  layout.zeroShot.section.hidden = !s.zeroShot;
  if (s.zeroShot) layout.zeroShot.render(s.zeroShot, s.kind === 'suite' ? `In-distribution set: ${s.suite.inDistribution.name}` : 'Zero-shot classification');
  // Charts measure their containers, so they draw after #results and their sections are visible.
  charts.render(s);
}

/** The cards and notes of a file of pairs. */
function renderRetrieval(s: AnalysisSnapshot): void {
  if (awaitingDosnes && s.sphere.dosnes) charts.sphereLayout = 'dosnes';
  // A re-run's snapshot has no DOSNES layout until the toggle asks again.
  if (!s.sphere.dosnes) charts.sphereLayout = 'pca';
  awaitingDosnes = false;
  renderBaselineNote(s);
  // Against itself every change would be ±0: the pinned checkpoint shows its plain values.
  renderMetricCards(layout.cards, s.metrics, baselineIsShown ? undefined : s.baseline);
  layout.scatterNote.textContent = scatterNote(s.scatter);
  renderSphereLayout(s);
  layout.calibrationNote.textContent = calibrationNote(s);
  layout.eceNote.textContent = `ECE ${formatMetric(s.metrics.ece, false)} at τ = ${s.metrics.ece_tau}: bars below the dashed diagonal are over-confident.`;
}

/** Which checkpoint the changes are against, and whether the pin button pins this one or unpins it. */
function renderBaselineNote(s: AnalysisSnapshot): void {
  baselineIsShown = s.baseline !== undefined && s.baseline.files.join('\n') === s.files.join('\n');
  layout.pinBaseline.textContent = baselineIsShown ? 'Unpin baseline' : 'Pin as baseline';
  layout.baselineNote.textContent = !s.baseline
    ? 'Pin a checkpoint as the baseline to see every metric’s change against it here.'
    : baselineIsShown
      ? 'This checkpoint is the pinned baseline: other checkpoints show their change against it.'
      : `Changes against the pinned baseline ${s.baseline.title}.`;
}

/** The "?" toggle shows every explanation under its metric (they are on hover otherwise). */
function toggleExplanations(): void {
  const shown = layout.explain.getAttribute('aria-pressed') !== 'true';
  layout.explain.setAttribute('aria-pressed', String(shown));
  layout.results.classList.toggle('explanations-shown', shown);
}

/** The sphere's note and toggle label follow the layout it draws. */
function renderSphereLayout(s: AnalysisSnapshot): void {
  layout.sphereNote.textContent = sphereNote(s.sphere, charts.sphereLayout);
  layout.sphereLayout.textContent = charts.sphereLayout === 'pca' ? 'DOSNES' : 'PCA';
  layout.sphereLayout.disabled = false;
  saveState({ snapshot: s, sphereLayout: charts.sphereLayout });
}

/** PCA ↔ DOSNES; the first switch to DOSNES asks the host to lay it out (a second or two). */
function toggleSphereLayout(s: AnalysisSnapshot): void {
  if (charts.sphereLayout === 'pca' && !s.sphere.dosnes) {
    awaitingDosnes = true;
    layout.sphereLayout.disabled = true;
    layout.sphereLayout.textContent = 'Laying out…';
    vscode.postMessage({ type: 'layOutDosnes' });
    return;
  }
  charts.sphereLayout = charts.sphereLayout === 'pca' ? 'dosnes' : 'pca';
  renderSphereLayout(s);
}

function onMessage(m: HostToAnalysisView): void {
  switch (m.type) {
    case 'snapshot':
      renderSnapshot(m.snapshot);
      return;
    case 'progress':
      layout.empty.hidden = true;
      showProgress(layout, m.fraction, m.message);
      return;
    case 'error':
      layout.empty.hidden = true;
      showError(layout, m.message);
      return;
    case 'exportChart':
      answerExport(m);
      return;
  }
}

function startAnalysis(root: HTMLElement): void {
  // A section opened after being collapsed holds charts drawn at zero size: fit them again.
  layout = buildLayout(root, () => charts.resize());
  charts = new ChartSet(layout.charts);
  window.addEventListener('message', (e: MessageEvent<HostToAnalysisView>) => {
    if (e.data && typeof e.data === 'object' && 'type' in e.data) onMessage(e.data);
  });
  layout.rerun.addEventListener('click', () => vscode.postMessage({ type: 'rerun' }));
  layout.exportJson.addEventListener('click', () => vscode.postMessage({ type: 'exportMetrics', format: 'json' }));
  layout.exportCsv.addEventListener('click', () => vscode.postMessage({ type: 'exportMetrics', format: 'csv' }));
  answerExport = wireChartExport(charts, layout.exportImage, (m) => vscode.postMessage(m));
  layout.sphereLayout.addEventListener('click', () => shown && isRetrievalSnapshot(shown) && toggleSphereLayout(shown));
  layout.cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  layout.explain.addEventListener('click', toggleExplanations);
  layout.pinBaseline.addEventListener('click', () => vscode.postMessage({ type: baselineIsShown ? 'unpinBaseline' : 'pinBaseline' }));
  onThemeChange(() => charts.redraw());

  const restored = vscode.getState();
  if (restored?.snapshot) {
    charts.sphereLayout = restored.sphereLayout ?? 'pca';
    renderSnapshot(restored.snapshot);
  }
  vscode.postMessage({ type: 'ready' });
}

// One bundle serves every view; the page names its view (webviewHtml.ts).
const app = byId('app');
if (app.dataset.view === 'dashboard') startDashboard(app);
else if (app.dataset.view === 'compare') startCompareView(app);
else startAnalysis(app);
