import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './main.css';
import type { AnalysisSnapshot, HostToAnalysisView } from '../../src/protocol/analysisPanel';
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
import { vscode } from './vscodeApi';

// Set once by startAnalysis, before any message can arrive.
let layout: Layout;
let charts: ChartSet;
/** Answers the export commands' requests for a chart image. */
let answerExport: ReturnType<typeof wireChartExport>;
/** The snapshot on screen, for the sphere toggle's note. */
let shown: AnalysisSnapshot | undefined;
/** The toggle asked the host for the DOSNES layout: the snapshot that brings it switches to it. */
let awaitingDosnes = false;

function renderSnapshot(s: AnalysisSnapshot): void {
  shown = s;
  if (awaitingDosnes && s.sphere.dosnes) charts.sphereLayout = 'dosnes';
  // A re-run's snapshot has no DOSNES layout until the toggle asks again.
  if (!s.sphere.dosnes) charts.sphereLayout = 'pca';
  awaitingDosnes = false;
  hideActivity(layout);
  layout.empty.hidden = true;
  layout.results.hidden = false;
  layout.exportJson.disabled = false;
  layout.exportCsv.disabled = false;
  renderTitle(layout.title, s.title);
  renderFacts(layout.facts, s);
  renderWarnings(layout.warnings, s);
  renderMetadata(layout.metadata, s.metadata);
  renderMetricCards(layout.cards, s.metrics);
  layout.scatterNote.textContent = scatterNote(s.scatter);
  renderSphereLayout(s);
  layout.calibrationNote.textContent = calibrationNote(s);
  layout.eceNote.textContent = `ECE ${formatMetric(s.metrics.ece, false)} at τ = ${s.metrics.ece_tau}: bars below the dashed diagonal are over-confident.`;
  // Charts measure their containers, so they draw after #results is visible.
  charts.render(s);
}

/** The sphere's note and toggle label follow the layout it draws. */
function renderSphereLayout(s: AnalysisSnapshot): void {
  layout.sphereNote.textContent = sphereNote(s.sphere, charts.sphereLayout);
  layout.sphereLayout.textContent = charts.sphereLayout === 'pca' ? 'DOSNES' : 'PCA';
  layout.sphereLayout.disabled = false;
  vscode.setState({ snapshot: s, sphereLayout: charts.sphereLayout });
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
  layout = buildLayout(root);
  charts = new ChartSet(layout.charts);
  window.addEventListener('message', (e: MessageEvent<HostToAnalysisView>) => {
    if (e.data && typeof e.data === 'object' && 'type' in e.data) onMessage(e.data);
  });
  layout.rerun.addEventListener('click', () => vscode.postMessage({ type: 'rerun' }));
  layout.exportJson.addEventListener('click', () => vscode.postMessage({ type: 'exportMetrics', format: 'json' }));
  layout.exportCsv.addEventListener('click', () => vscode.postMessage({ type: 'exportMetrics', format: 'csv' }));
  answerExport = wireChartExport(charts, layout.exportImage, (m) => vscode.postMessage(m));
  layout.sphereLayout.addEventListener('click', () => shown && toggleSphereLayout(shown));
  layout.cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
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
