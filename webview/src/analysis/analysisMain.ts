import {
  isRetrievalSnapshot,
  type AnalysisSnapshot,
  type AnalysisViewToHost,
  type HostToAnalysisView,
  type PanelSnapshot,
} from '../../../src/protocol/analysisPanel';
import { wireChartExport } from '../charts/chartExport';
import { ChartSet } from '../charts/chartSet';
import { calibrationNote } from '../charts/calibrationOption';
import { scatterNote } from '../charts/scatterOption';
import { sphereNote, type SphereLayoutName } from '../charts/sphereOption';
import { formatMetric } from '../format';
import { renderFacts, renderMetadata, renderTitle, renderWarnings } from './analysisHeader';
import { buildAnalysisLayout, type AnalysisLayout } from './analysisLayout';
import { renderMetricCards } from './metricCards';
import { hideActivity, showError, showProgress } from '../activityStrip';
import { onThemeChange } from '../theme';
import { webviewApi, type SectionsState } from '../webviewApi';
import { renderSuite } from '../zeroShot/suiteSection';
import { restoredSnapshot, storedSnapshot, type Stored } from './storedSnapshot';

/** What survives the panel being hidden. */
interface AnalysisState extends SectionsState {
  snapshot?: Stored<PanelSnapshot>;
  /** The sphere's layout, DOSNES once the user chose it. */
  sphereLayout?: SphereLayoutName;
}

const api = webviewApi<AnalysisViewToHost, AnalysisState>();

/** Merges `patch` into the saved state, so the parts of the page that save their own (sections, snapshot) never drop each other's. */
function saveState(patch: AnalysisState): void {
  api.setState({ ...api.getState(), ...patch });
}

// Set once by startAnalysis, before any message can arrive.
let layout: AnalysisLayout;
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
  else saveState({ snapshot: storedSnapshot(s) });
  layout.suite.hidden = s.kind !== 'suite';
  if (s.kind === 'suite') renderSuite(layout.suite, s.suite);
  layout.zeroShot.section.hidden = !s.zeroShot;
  if (s.zeroShot)
    layout.zeroShot.render(
      s.zeroShot,
      s.kind === 'suite' ? `In-distribution set: ${s.suite.inDistribution.name}` : 'Zero-shot classification',
    );
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
  saveState({ snapshot: storedSnapshot(s), sphereLayout: charts.sphereLayout });
}

/** PCA ↔ DOSNES; the first switch to DOSNES asks the host to lay it out (a second or two). */
function toggleSphereLayout(s: AnalysisSnapshot): void {
  if (charts.sphereLayout === 'pca' && !s.sphere.dosnes) {
    awaitingDosnes = true;
    layout.sphereLayout.disabled = true;
    layout.sphereLayout.textContent = 'Laying out…';
    api.postMessage({ type: 'layOutDosnes' });
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

/** The analysis view of one checkpoint (a panel or the checkpoint editor): a full snapshot in, every part re-rendered from it. */
export function startAnalysis(root: HTMLElement): void {
  // A section opened after being collapsed holds charts drawn at zero size: fit them again.
  layout = buildAnalysisLayout(root, () => charts.resize());
  charts = new ChartSet(layout.charts);
  window.addEventListener('message', (e: MessageEvent<HostToAnalysisView>) => {
    if (e.data && typeof e.data === 'object' && 'type' in e.data) onMessage(e.data);
  });
  layout.rerun.addEventListener('click', () => api.postMessage({ type: 'rerun' }));
  layout.exportJson.addEventListener('click', () => api.postMessage({ type: 'exportMetrics', format: 'json' }));
  layout.exportCsv.addEventListener('click', () => api.postMessage({ type: 'exportMetrics', format: 'csv' }));
  answerExport = wireChartExport(charts, layout.exportImage, (m) => api.postMessage(m));
  layout.sphereLayout.addEventListener('click', () => shown && isRetrievalSnapshot(shown) && toggleSphereLayout(shown));
  layout.cancel.addEventListener('click', () => api.postMessage({ type: 'cancel' }));
  layout.explain.addEventListener('click', toggleExplanations);
  layout.pinBaseline.addEventListener('click', () =>
    api.postMessage({ type: baselineIsShown ? 'unpinBaseline' : 'pinBaseline' }),
  );
  onThemeChange(() => charts.redraw());

  const restored = api.getState();
  if (restored?.snapshot) {
    charts.sphereLayout = restored.sphereLayout ?? 'pca';
    renderSnapshot(restoredSnapshot(restored.snapshot));
  }
  api.postMessage({ type: 'ready' });
}
