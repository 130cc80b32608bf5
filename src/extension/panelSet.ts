import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { webviewOptions } from './webviewPage';

/**
 * Webview panels keyed by what they show (the analysis, compare and training dashboard panels):
 * showing a key again reveals its open panel instead of opening a second one. Closing a panel
 * disposes its view.
 */
export class PanelSet<V extends vscode.Disposable> extends Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; view: V }>();

  constructor(
    private readonly viewType: string,
    protected readonly extensionUri: vscode.Uri,
    /** Where a new panel opens. */
    private readonly viewColumn: vscode.ViewColumn,
  ) {
    super();
    this.register({ dispose: () => [...this.panels.values()].forEach((o) => o.panel.dispose()) });
  }

  /** The view of `key`'s open panel, if there is one. */
  protected viewOf(key: string): V | undefined {
    return this.panels.get(key)?.view;
  }

  /** Reveals `key`'s open panel and returns its view; undefined when none is open. */
  protected reveal(key: string, preserveFocus = false): V | undefined {
    const open = this.panels.get(key);
    open?.panel.reveal(undefined, preserveFocus);
    return open?.view;
  }

  /** Opens a new panel for `key` and returns the view `create` binds to it. */
  protected open(key: string, title: string, create: (panel: vscode.WebviewPanel) => V, preserveFocus = false): V {
    const panel = vscode.window.createWebviewPanel(
      this.viewType,
      title,
      { viewColumn: this.viewColumn, preserveFocus },
      webviewOptions(this.extensionUri),
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const view = create(panel);
    this.panels.set(key, { panel, view });
    panel.onDidDispose(() => {
      view.dispose();
      this.panels.delete(key);
    });
    return view;
  }

  /** The view of `key`: its open panel's, revealed, or a new panel's from `create`; `created` says which. */
  protected revealOrOpen(
    key: string,
    title: string,
    create: (panel: vscode.WebviewPanel) => V,
  ): { view: V; created: boolean } {
    const existing = this.reveal(key);
    if (existing) return { view: existing, created: false };
    return { view: this.open(key, title, create), created: true };
  }
}
