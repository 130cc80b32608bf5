import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../core/metrics/types';
import { AnalysisView } from './analysisView';
import { Disposable } from './disposable';
import type { ExportTargets } from './exportTargets';
import type { WorkerClient } from './workerClient';

export const analysisPanelViewType = 'embeddingLens.analysis';

/** One panel per checkpoint: analysing the same files again reveals and re-runs the open panel. */
export class AnalysisPanels extends Disposable {
  private readonly open = new Map<string, { panel: vscode.WebviewPanel; view: AnalysisView }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    private readonly exports: ExportTargets,
  ) {
    super();
    this.register({ dispose: () => [...this.open.values()].forEach((o) => o.panel.dispose()) });
  }

  /** Opens (or reveals) the panel and runs the analysis; resolves to the metrics when it succeeds. */
  show(files: string[]): Promise<AnalysisResult | undefined> {
    const key = files.join('\n');
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing.view.run();
    }
    const title = files.map((f) => path.basename(f)).join(' + ');
    const panel = vscode.window.createWebviewPanel(analysisPanelViewType, `Embedding Lens: ${title}`, vscode.ViewColumn.Active, {
      enableScripts: true,
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const view = new AnalysisView(panel, files, title, this.extensionUri, this.worker, this.exports);
    this.open.set(key, { panel, view });
    panel.onDidDispose(() => {
      view.dispose();
      this.open.delete(key);
    });
    return view.run();
  }
}
