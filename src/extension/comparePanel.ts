import * as vscode from 'vscode';
import { checkpointNames } from '../core/compare/names';
import { CompareView } from './compareView';
import { Disposable } from './disposable';
import type { ExportTargets } from './exportTargets';
import type { WorkerClient } from './workerClient';

export const comparePanelViewType = 'embeddingLens.compare';

/** One panel per set of checkpoints: comparing the same set again reveals and re-runs it. */
export class ComparePanels extends Disposable {
  private readonly open = new Map<string, { panel: vscode.WebviewPanel; view: CompareView }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    private readonly exports: ExportTargets,
  ) {
    super();
    this.register({ dispose: () => [...this.open.values()].forEach((o) => o.panel.dispose()) });
  }

  show(checkpoints: string[][]): void {
    const key = checkpoints.map((c) => c.join('+')).join('\n');
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      void existing.view.run();
      return;
    }
    const title = checkpointNames(checkpoints).join(' vs ');
    const panel = vscode.window.createWebviewPanel(comparePanelViewType, `Compare: ${title}`, vscode.ViewColumn.Active, { enableScripts: true });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const view = new CompareView(panel, checkpoints, title, this.extensionUri, this.worker, this.exports);
    this.open.set(key, { panel, view });
    panel.onDidDispose(() => {
      view.dispose();
      this.open.delete(key);
    });
  }
}
