import * as vscode from 'vscode';
import { CancelledError } from '../core/util/errors';
import { panelMetrics, panelMetricsText, type PanelMetrics } from '../snapshots/analysis/panelMetrics';
import {
  chartsOf,
  isRetrievalSnapshot,
  type AnalysisViewToHost,
  type HostToAnalysisView,
  type PanelSnapshot,
} from '../protocol/analysisPanel';
import type { DosnesInput } from '../protocol/worker';
import { analysisResults } from './analysisResults';
import { Disposable } from './disposable';
import type { AnalysisEngines } from './analysisEngine';
import type { ExportTargets } from './exportTargets';
import { pickPartner } from './pickFiles';
import { pinnedBaseline } from './pinnedBaseline';
import { analyzeSettings } from './settings';
import { ViewExport } from './viewExport';
import { webviewOptions, webviewPageHtml } from './webviewPage';
import { ViewJobRunner } from './viewJobRunner';
import { WorkerJobError, type WorkerClient } from './workerClient';

/**
 * Binds one webview (a panel or a custom editor) to the analysis of one checkpoint. The view gets
 * the full snapshot each time it asks (on load, and after being hidden and shown), never deltas.
 */
export class AnalysisView extends Disposable {
  private snapshot: PanelSnapshot | undefined;
  /** What the sphere's DOSNES toggle lays out, from the analysis behind `snapshot`. */
  private dosnesInput: DosnesInput | undefined;
  /** The last snapshot or error, re-sent when the view (re)loads. */
  private last: HostToAnalysisView | undefined;
  private started = false;
  private readonly analysis: ViewJobRunner;
  /** The DOSNES layout the view's toggle asked for, while the worker computes it. */
  private layingOut: vscode.CancellationTokenSource | undefined;
  private readonly webview: vscode.Webview;
  private readonly exporter: ViewExport;

  constructor(
    panel: vscode.WebviewPanel,
    private files: string[],
    private readonly title: string,
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    exports: ExportTargets,
    private readonly engines: AnalysisEngines,
  ) {
    super();
    const webview = (this.webview = panel.webview);
    // A checkpoint editor hands over its webview without options; a panel set already set these.
    webview.options = webviewOptions(extensionUri);
    webview.html = webviewPageHtml(webview, extensionUri, title);
    this.exporter = this.register(
      new ViewExport(webview, {
        // What the export commands offer follows what the file held (pairs, classes, a suite).
        charts: () => chartsOf(this.snapshot),
        metrics: (format) => this.snapshot && panelMetricsText(this.snapshot, format),
        // Named after the checkpoint, beside it: clip.npy → clip.metrics.json, clip.scatter.png.
        defaultUri: (suffix) =>
          vscode.Uri.file(this.files[0].replace(/\.(npy|npz|safetensors|suite\.json)$/i, '') + `.${suffix}`),
      }),
    );
    exports.add(panel, this.exporter);
    this.analysis = this.register(new ViewJobRunner((m) => this.post(m)));
    this.register(webview.onDidReceiveMessage((m: AnalysisViewToHost) => this.onMessage(m)));
    this.register({ dispose: () => this.layingOut?.cancel() });
    // A baseline pinned in any view changes every overview: resend the snapshot with it.
    this.register(
      pinnedBaseline.onDidChange(
        () => this.snapshot && !this.analysis.isRunning && this.post({ type: 'snapshot', snapshot: this.snapshot }),
      ),
    );
  }

  private cancelAll(): void {
    this.analysis.cancel();
    this.layingOut?.cancel();
  }

  /**
   * Runs (or re-runs) the analysis with a cancellable progress notification. Resolves to the
   * metrics, or undefined when it failed or was cancelled (the view and a notification say why).
   */
  async run(): Promise<PanelMetrics | undefined> {
    this.layingOut?.cancel();
    this.started = true;
    const finished = await this.analysis.run({
      title: `Analyzing ${this.title}`,
      cancelledMessage: 'Analysis cancelled.',
      work: async (token, onProgress) =>
        this.worker.analyze(
          this.files,
          analyzeSettings(vscode.Uri.file(this.files[0])),
          await this.engines.torchFor(this.files),
          token,
          onProgress,
        ),
      finish: ({ snapshot, dosnes }) => {
        this.snapshot = snapshot;
        this.dosnesInput = dosnes;
        // The checkpoints tree shows retrieval figures (R@1, gap) only.
        if (isRetrievalSnapshot(snapshot)) analysisResults.record(snapshot.files, snapshot.metrics);
        this.post({ type: 'snapshot', snapshot });
      },
      reportFailure: (error) => {
        if (error instanceof WorkerJobError && error.needsPartner) void this.askForPartner(error.message);
        else void vscode.window.showErrorMessage(`Embedding Lens: ${error.message}`);
      },
    });
    return finished && this.snapshot ? panelMetrics(this.snapshot) : undefined;
  }

  private async askForPartner(message: string): Promise<void> {
    const action = 'Pick the Other File…';
    if ((await vscode.window.showErrorMessage(`Embedding Lens: ${message}`, action)) !== action) return;
    const partner = await pickPartner(this.files[0]);
    if (!partner) return;
    this.files = [this.files[0], partner];
    await this.run();
  }

  private onMessage(m: AnalysisViewToHost): void {
    switch (m.type) {
      case 'ready':
        if (this.last) this.post(this.last);
        else if (!this.started) void this.run();
        return;
      case 'rerun':
        void this.run();
        return;
      case 'cancel':
        this.cancelAll();
        return;
      case 'layOutDosnes':
        void this.layOutDosnes();
        return;
      case 'pinBaseline':
        if (this.snapshot && isRetrievalSnapshot(this.snapshot))
          void pinnedBaseline.pin(this.title, this.snapshot.files, this.snapshot.metrics);
        return;
      case 'unpinBaseline':
        void pinnedBaseline.unpin();
        return;
      case 'exportMetrics':
      case 'exportImage':
        this.exporter.onMessage(m);
        return;
    }
  }

  /**
   * Adds the sphere's DOSNES layout to the snapshot (seconds of work, so only when the view's toggle
   * asks) and sends the view the whole snapshot again. Cancelled or failed, the view gets the
   * snapshot as it was, and goes back to the PCA layout.
   */
  private async layOutDosnes(): Promise<void> {
    const [snapshot, input] = [this.snapshot, this.dosnesInput];
    if (!snapshot || !isRetrievalSnapshot(snapshot) || !input || this.layingOut) return;
    if (snapshot.sphere.dosnes) {
      this.post({ type: 'snapshot', snapshot });
      return;
    }
    const cts = new vscode.CancellationTokenSource();
    this.layingOut = cts;
    try {
      const dosnes = await this.worker.dosnes(input, cts.token, (fraction, message) =>
        this.post({ type: 'progress', fraction, message }),
      );
      if (cts.token.isCancellationRequested) throw new CancelledError();
      this.snapshot = { ...snapshot, sphere: { ...snapshot.sphere, dosnes } };
    } catch (err) {
      if (!(err instanceof CancelledError))
        void vscode.window.showErrorMessage(`Embedding Lens: the DOSNES layout failed: ${(err as Error).message}`);
    } finally {
      this.layingOut = undefined;
      cts.dispose();
    }
    // A re-run in progress sends its own snapshot when it ends.
    if (this.snapshot && !this.analysis.isRunning) this.post({ type: 'snapshot', snapshot: this.snapshot });
  }

  private post(message: HostToAnalysisView): void {
    // The pinned baseline travels with each snapshot, as it is when sent (undefined: none pinned).
    if (message.type === 'snapshot' && isRetrievalSnapshot(message.snapshot))
      message = { ...message, snapshot: { ...message.snapshot, baseline: pinnedBaseline.get() } };
    if (message.type !== 'progress') this.last = message;
    if (!this.isDisposed) void this.webview.postMessage(message);
  }
}
