import * as path from 'node:path';
import * as vscode from 'vscode';
import { runEvalsCsv, runJson } from '../../snapshots/dashboard/runExport';
import {
  dashboardCharts,
  type DashboardSnapshot,
  type DashboardToHost,
  type HostToDashboard,
} from '../../protocol/dashboard';
import { Disposable } from '../disposable';
import type { ExportTargets } from '../exportTargets';
import { ViewExport } from '../viewExport';
import { webviewPageHtml } from '../webviewPage';
import { openBestCheckpoint, type TrainingRuns } from './trainingRuns';

/** A run posts one event per step; the view gets at most this many snapshots a second. */
const postsPerSecond = 4;

/** Binds one dashboard panel to the run of one config: posts the full snapshot, throttled, on each change. */
export class DashboardView extends Disposable {
  private timer: NodeJS.Timeout | undefined;
  private lastPost = 0;
  private readonly exporter: ViewExport;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly configFile: string,
    extensionUri: vscode.Uri,
    private readonly runs: TrainingRuns,
    exports: ExportTargets,
    /** Shown until this window runs the config. */
    private readonly fallback: DashboardSnapshot | undefined,
  ) {
    super();
    this.exporter = this.register(
      new ViewExport(panel.webview, {
        charts: () => dashboardCharts,
        metrics: (format) => {
          const s = this.snapshot;
          return s && (format === 'csv' ? runEvalsCsv(s) : runJson(s));
        },
        // Beside the config: clip.m2mix.json → clip.run-metrics.csv, clip.loss.png.
        defaultUri: (suffix) =>
          vscode.Uri.file(
            this.configFile.replace(/\.m2mix\.json$/i, '') + `.${suffix.replace(/^metrics\./, 'run-metrics.')}`,
          ),
      }),
    );
    exports.add(panel, this.exporter);
    panel.webview.html = webviewPageHtml(panel.webview, extensionUri, path.basename(configFile), 'dashboard');
    this.register(panel.webview.onDidReceiveMessage((m: DashboardToHost) => this.onMessage(m)));
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  /** Schedules a post: the first at once, then no more than postsPerSecond, always the latest state. */
  update(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastPost + 1000 / postsPerSecond - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, wait);
  }

  private get snapshot(): DashboardSnapshot | undefined {
    return this.runs.snapshot(this.configFile) ?? this.fallback;
  }

  private post(): void {
    const snapshot = this.snapshot;
    if (!snapshot || this.isDisposed) return;
    this.lastPost = Date.now();
    const message: HostToDashboard = { type: 'snapshot', snapshot };
    void this.panel.webview.postMessage(message);
  }

  private onMessage(m: DashboardToHost): void {
    switch (m.type) {
      case 'ready':
        this.post();
        return;
      case 'cancel':
        this.runs.cancel(this.configFile);
        return;
      case 'run':
        void vscode.commands.executeCommand('embeddingLens.runTraining', vscode.Uri.file(this.configFile));
        return;
      case 'openBest': {
        const snapshot = this.snapshot;
        if (snapshot) void openBestCheckpoint(snapshot);
        return;
      }
      case 'exportMetrics':
      case 'exportImage':
        this.exporter.onMessage(m);
        return;
    }
  }
}
