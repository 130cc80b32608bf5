import * as vscode from 'vscode';
import { Disposable } from './disposable';

/**
 * Webview panels keyed by what they show (the analysis and compare panels): showing a key again
 * reveals its open panel instead of opening a second one. Closing a panel disposes its view.
 */
export class PanelSet<V extends vscode.Disposable> extends Disposable {
  private readonly open = new Map<string, { panel: vscode.WebviewPanel; view: V }>();

  constructor(
    private readonly viewType: string,
    protected readonly extensionUri: vscode.Uri,
  ) {
    super();
    this.register({ dispose: () => [...this.open.values()].forEach((o) => o.panel.dispose()) });
  }

  /** The view of `key`: its open panel's, revealed, or a new panel's from `create`; `created` says which. */
  show(key: string, title: string, create: (panel: vscode.WebviewPanel) => V): { view: V; created: boolean } {
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return { view: existing.view, created: false };
    }
    const panel = vscode.window.createWebviewPanel(this.viewType, title, vscode.ViewColumn.Active, { enableScripts: true });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const view = create(panel);
    this.open.set(key, { panel, view });
    panel.onDidDispose(() => {
      view.dispose();
      this.open.delete(key);
    });
    return { view, created: true };
  }
}
