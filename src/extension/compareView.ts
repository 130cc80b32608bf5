import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildCompareSnapshot } from '../core/compare/compareSnapshot';
import { metricsCsv, metricsJson } from '../core/compare/metricsExport';
import { CancelledError } from '../core/errors';
import type { CompareData, CompareViewToHost, HostToCompareView } from '../protocol/comparePanel';
import { analysisResults } from './analysisResults';
import { Disposable } from './disposable';
import { saveWithDialog } from './saveFile';
import { analyzeSettings } from './settings';
import { webviewOptions, webviewPageHtml } from './webviewPage';
import type { WorkerClient } from './workerClient';

const pngPrefix = 'data:image/png;base64,';

/**
 * Binds one webview to the comparison of 2 to 8 checkpoints. The worker's CompareData is kept here,
 * so choosing another baseline rebuilds the snapshot without analysing anything again.
 */
export class CompareView extends Disposable {
  private data: CompareData | undefined;
  private baseline = 0;
  private running: vscode.CancellationTokenSource | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly checkpoints: string[][],
    title: string,
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
  ) {
    super();
    webview.options = webviewOptions(extensionUri);
    webview.html = webviewPageHtml(webview, extensionUri, title, 'compare');
    this.register(webview.onDidReceiveMessage((m: CompareViewToHost) => this.onMessage(m)));
    this.register({ dispose: () => this.running?.cancel() });
  }

  async run(): Promise<void> {
    this.running?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Comparing ${this.checkpoints.length} checkpoints`, cancellable: true },
        async (progress, notificationToken) => {
          const sub = notificationToken.onCancellationRequested(() => cts.cancel());
          let reported = 0;
          const data = await this.worker
            .compare(this.checkpoints, analyzeSettings(vscode.Uri.file(this.checkpoints[0][0])), cts.token, (fraction, message) => {
              progress.report({ increment: Math.max(0, (fraction - reported) * 100), message });
              reported = Math.max(reported, fraction);
              this.post({ type: 'progress', fraction, message });
            })
            .finally(() => sub.dispose());
          if (cts.token.isCancellationRequested) throw new CancelledError();
          this.data = data;
          for (const c of data.checkpoints) analysisResults.record(c.files, c.result);
          this.postSnapshot();
        },
      );
    } catch (err) {
      const message = err instanceof CancelledError ? 'Comparison cancelled.' : (err as Error).message;
      this.post({ type: 'error', message });
      if (!(err instanceof CancelledError)) void vscode.window.showErrorMessage(`Embedding Lens: ${message}`);
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }

  private postSnapshot(): void {
    if (this.data) this.post({ type: 'snapshot', snapshot: buildCompareSnapshot(this.data, this.baseline) });
  }

  private onMessage(m: CompareViewToHost): void {
    switch (m.type) {
      case 'ready':
        if (this.data) this.postSnapshot();
        else if (!this.running) void this.run();
        return;
      case 'rerun':
        void this.run();
        return;
      case 'cancel':
        this.running?.cancel();
        return;
      case 'setBaseline':
        if (Number.isInteger(m.baseline) && m.baseline >= 0 && m.baseline < this.checkpoints.length) {
          this.baseline = m.baseline;
          this.postSnapshot();
        }
        return;
      case 'exportMetrics':
        void this.exportMetrics(m.format).catch((err: Error) => vscode.window.showErrorMessage(`Embedding Lens: ${err.message}`));
        return;
      case 'exportPng':
        void this.exportPng(m.chart, m.dataUrl).catch((err: Error) => vscode.window.showErrorMessage(`Embedding Lens: ${err.message}`));
        return;
      case 'exportSvg':
        void this.exportSvg(m.chart, m.svg).catch((err: Error) => vscode.window.showErrorMessage(`Embedding Lens: ${err.message}`));
        return;
    }
  }

  private besideFirst(name: string): vscode.Uri {
    return vscode.Uri.file(path.join(path.dirname(this.checkpoints[0][0]), name));
  }

  private async exportMetrics(format: 'csv' | 'json'): Promise<void> {
    if (!this.data) return;
    const s = buildCompareSnapshot(this.data, this.baseline);
    const body = format === 'csv' ? metricsCsv(s) : JSON.stringify(metricsJson(s), null, 1) + '\n';
    await saveWithDialog(this.besideFirst(`compare-metrics.${format}`), { [format.toUpperCase()]: [format] }, Buffer.from(body));
  }

  private async exportPng(chart: string, dataUrl: string): Promise<void> {
    // The view is ours, but its messages are still input: only a PNG under a plain name is written.
    if (!/^[a-z-]+$/.test(chart) || !dataUrl.startsWith(pngPrefix)) return;
    await saveWithDialog(this.besideFirst(`compare-${chart}.png`), { PNG: ['png'] }, Buffer.from(dataUrl.slice(pngPrefix.length), 'base64'));
  }

  private async exportSvg(chart: string, svg: string): Promise<void> {
    if (!/^[a-z-]+$/.test(chart) || typeof svg !== 'string' || !svg.startsWith('<svg')) return;
    await saveWithDialog(this.besideFirst(`compare-${chart}.svg`), { SVG: ['svg'] }, Buffer.from(svg));
  }

  private post(message: HostToCompareView): void {
    if (!this.isDisposed) void this.webview.postMessage(message);
  }
}
