import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareSnapshotOf } from '../snapshots/compare/compareSnapshot';
import { metricsCsv, metricsJson } from '../snapshots/compare/metricsExport';
import {
  compareChartsOf,
  type AnyCompareData,
  type CompareViewToHost,
  type HostToCompareView,
} from '../protocol/comparePanel';
import { analysisResults } from './analysisResults';
import { Disposable } from './disposable';
import type { ExportTargets } from './exportTargets';
import { analyzeSettings } from './settings';
import { ViewExport } from './viewExport';
import { ViewJobRunner } from './viewJobRunner';
import { webviewPageHtml } from './webviewPage';
import type { WorkerClient } from './workerClient';
import type { AnalysisEngines } from './analysisEngine';

/**
 * Binds one webview to the comparison of 2 to 8 checkpoints. The worker's CompareData is kept here,
 * so choosing another baseline rebuilds the snapshot without analysing anything again.
 */
export class CompareView extends Disposable {
  private data: AnyCompareData | undefined;
  private baseline = 0;
  private readonly comparison: ViewJobRunner;
  private readonly webview: vscode.Webview;
  private readonly exporter: ViewExport;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly checkpoints: string[][],
    title: string,
    extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    exports: ExportTargets,
    private readonly engines: AnalysisEngines,
  ) {
    super();
    const webview = (this.webview = panel.webview);
    this.exporter = this.register(
      new ViewExport(webview, {
        // Suites draw the robustness plot, retrieval checkpoints the other three.
        charts: () => compareChartsOf(this.data),
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
    webview.html = webviewPageHtml(webview, extensionUri, title, 'compare');
    this.comparison = this.register(new ViewJobRunner((m) => this.post(m)));
    this.register(webview.onDidReceiveMessage((m: CompareViewToHost) => this.onMessage(m)));
  }

  /** Runs (or re-runs) the comparison with a cancellable progress notification; the view and a notification say when it failed. */
  async run(): Promise<void> {
    await this.comparison.run({
      title: `Comparing ${this.checkpoints.length} checkpoints`,
      cancelledMessage: 'Comparison cancelled.',
      work: async (token, onProgress) =>
        this.worker.compare(
          this.checkpoints,
          analyzeSettings(vscode.Uri.file(this.checkpoints[0][0])),
          await this.engines.torchFor(this.checkpoints.flat()),
          token,
          onProgress,
        ),
      finish: (data) => {
        this.data = data;
        if (!('suites' in data)) for (const c of data.checkpoints) analysisResults.record(c.files, c.result);
        this.postSnapshot();
      },
    });
  }

  private postSnapshot(): void {
    if (this.data) this.post({ type: 'snapshot', snapshot: compareSnapshotOf(this.data, this.baseline) });
  }

  private onMessage(m: CompareViewToHost): void {
    switch (m.type) {
      case 'ready':
        if (this.data) this.postSnapshot();
        else if (!this.comparison.isRunning) void this.run();
        return;
      case 'rerun':
        void this.run();
        return;
      case 'cancel':
        this.comparison.cancel();
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
