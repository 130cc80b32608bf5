import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareSnapshotOf } from '../snapshots/compare/compareSnapshot';
import { metricsCsv, metricsJson } from '../snapshots/compare/metricsExport';
import { CancelledError } from '../core/util/errors';
import { compareChartsOf, type AnyCompareData, type CompareViewToHost, type HostToCompareView } from '../protocol/comparePanel';
import { analysisResults } from './analysisResults';
import { Disposable } from './disposable';
import type { ExportTargets } from './exportTargets';
import { analyzeSettings } from './settings';
import { ViewExport } from './viewExport';
import { webviewOptions, webviewPageHtml } from './webviewPage';
import type { WorkerClient } from './workerClient';
import { compareOnChosenEngine } from './analysisEngine';
import type { TorchEnvironment } from './python/torchEnvironment';

/**
 * Binds one webview to the comparison of 2 to 8 checkpoints. The worker's CompareData is kept here,
 * so choosing another baseline rebuilds the snapshot without analysing anything again.
 */
export class CompareView extends Disposable {
  private data: AnyCompareData | undefined;
  private baseline = 0;
  private running: vscode.CancellationTokenSource | undefined;
  private readonly webview: vscode.Webview;
  private readonly exporter: ViewExport;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly checkpoints: string[][],
    title: string,
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    exports: ExportTargets,
    private readonly torch: TorchEnvironment,
    private readonly log: vscode.OutputChannel,
  ) {
    super();
    const webview = (this.webview = panel.webview);
    const view = this;
    this.exporter = this.register(
      new ViewExport(webview, {
        // Suites draw the robustness plot, retrieval checkpoints the other three.
        get charts() {
          return compareChartsOf(view.data);
        },
        metrics: (format) => {
          if (!this.data) return undefined;
          const s = compareSnapshotOf(this.data, this.baseline);
          return format === 'csv' ? metricsCsv(s) : JSON.stringify(metricsJson(s), null, 1) + '\n';
        },
        // Beside the first checkpoint: compare-metrics.csv, compare-plane.png.
        defaultUri: (suffix) => vscode.Uri.file(path.join(path.dirname(this.checkpoints[0][0]), `compare-${suffix}`)),
      }),
    );
    exports.add(panel, this.exporter);
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
          const onProgress = (fraction: number, message?: string) => {
            progress.report({ increment: Math.max(0, (fraction - reported) * 100), message });
            reported = Math.max(reported, fraction);
            this.post({ type: 'progress', fraction, message: message ?? '' });
          };
          const data = await compareOnChosenEngine(this.torch, this.checkpoints, cts.token, onProgress, (line) => this.log.appendLine(line))
            .then((onTorch) => onTorch ?? this.worker.compare(this.checkpoints, analyzeSettings(vscode.Uri.file(this.checkpoints[0][0])), cts.token, onProgress))
            .finally(() => sub.dispose());
          if (cts.token.isCancellationRequested) throw new CancelledError();
          this.data = data;
          if (!('suites' in data)) for (const c of data.checkpoints) analysisResults.record(c.files, c.result);
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
    if (this.data) this.post({ type: 'snapshot', snapshot: compareSnapshotOf(this.data, this.baseline) });
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
      case 'exportImage':
        this.exporter.onMessage(m);
        return;
    }
  }

  private post(message: HostToCompareView): void {
    if (!this.isDisposed) void this.webview.postMessage(message);
  }
}
