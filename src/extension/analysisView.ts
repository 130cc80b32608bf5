import * as vscode from 'vscode';
import { analysisCsv } from '../core/analysisCsv';
import { CancelledError } from '../core/errors';
import type { AnalysisResult } from '../core/metrics/types';
import type { AnalysisSnapshot, AnalysisViewToHost, HostToAnalysisView } from '../protocol/analysisPanel';
import { analysisResults } from './analysisResults';
import { Disposable } from './disposable';
import { pickPartner } from './pickFiles';
import { saveWithDialog } from './saveFile';
import { analyzeSettings } from './settings';
import { webviewOptions, webviewPageHtml } from './webviewPage';
import { WorkerJobError, type WorkerClient } from './workerClient';

/**
 * Binds one webview (a panel or a custom editor) to the analysis of one checkpoint. The view gets
 * the full snapshot each time it asks (on load, and after being hidden and shown), never deltas.
 */
export class AnalysisView extends Disposable {
  private snapshot: AnalysisSnapshot | undefined;
  /** The last snapshot or error, re-sent when the view (re)loads. */
  private last: HostToAnalysisView | undefined;
  private started = false;
  private running: vscode.CancellationTokenSource | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    private files: string[],
    private readonly title: string,
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
  ) {
    super();
    webview.options = webviewOptions(extensionUri);
    webview.html = webviewPageHtml(webview, extensionUri, title);
    this.register(webview.onDidReceiveMessage((m: AnalysisViewToHost) => this.onMessage(m)));
    this.register({ dispose: () => this.running?.cancel() });
  }

  /**
   * Runs (or re-runs) the analysis with a cancellable progress notification. Resolves to the
   * metrics, or undefined when it failed or was cancelled (the view and a notification say why).
   */
  async run(): Promise<AnalysisResult | undefined> {
    this.running?.cancel();
    this.started = true;
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    const name = this.title;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Analyzing ${name}`, cancellable: true },
        async (progress, notificationToken) => {
          const sub = notificationToken.onCancellationRequested(() => cts.cancel());
          let reported = 0;
          const snapshot = await this.worker.analyze(
            this.files,
            analyzeSettings(vscode.Uri.file(this.files[0])),
            cts.token,
            (fraction, message) => {
              progress.report({ increment: Math.max(0, (fraction - reported) * 100), message });
              reported = Math.max(reported, fraction);
              this.post({ type: 'progress', fraction, message });
            },
          ).finally(() => sub.dispose());
          if (cts.token.isCancellationRequested) throw new CancelledError();
          this.snapshot = snapshot;
          analysisResults.record(snapshot.files, snapshot.metrics);
          this.post({ type: 'snapshot', snapshot });
        },
      );
      return this.snapshot?.metrics;
    } catch (err) {
      const message = err instanceof CancelledError ? 'Analysis cancelled.' : (err as Error).message;
      this.post({ type: 'error', message });
      if (err instanceof WorkerJobError && err.needsPartner) void this.askForPartner(message);
      else if (!(err instanceof CancelledError)) void vscode.window.showErrorMessage(`Embedding Lens: ${message}`);
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
    return undefined;
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
        this.running?.cancel();
        return;
      case 'exportJson':
        if (this.snapshot) void this.save('metrics.json', { JSON: ['json'] }, Buffer.from(JSON.stringify(this.snapshot.metrics, null, 1) + '\n'));
        return;
      case 'exportCsv':
        if (this.snapshot) void this.save('metrics.csv', { CSV: ['csv'] }, Buffer.from(analysisCsv(this.snapshot.metrics)));
        return;
      case 'exportImage':
        void this.exportImage(m.format, m.name, m.data);
        return;
    }
  }

  /** A chart from the view: PNG arrives as a data: URL, SVG as text. Anything else is ignored. */
  private async exportImage(format: string, name: string, data: string): Promise<void> {
    if (!/^[a-z]+$/.test(name) || typeof data !== 'string') return;
    const png = 'data:image/png;base64,';
    if (format === 'png' && data.startsWith(png)) await this.save(`${name}.png`, { PNG: ['png'] }, Buffer.from(data.slice(png.length), 'base64'));
    else if (format === 'svg' && data.startsWith('<svg')) await this.save(`${name}.svg`, { SVG: ['svg'] }, Buffer.from(data));
  }

  /** Save dialog next to the checkpoint, named after it with `suffix` (e.g. metrics.json, scatter.png). */
  private async save(suffix: string, filters: Record<string, string[]>, body: Uint8Array): Promise<void> {
    const target = vscode.Uri.file(this.files[0].replace(/\.(npy|npz|safetensors)$/i, '') + `.${suffix}`);
    await saveWithDialog(target, filters, body).catch((err: Error) => vscode.window.showErrorMessage(`Embedding Lens: ${err.message}`));
  }

  private post(message: HostToAnalysisView): void {
    if (message.type !== 'progress') this.last = message;
    if (!this.isDisposed) void this.webview.postMessage(message);
  }
}
