import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { buildWebviewHtml } from './webviewHtml';

/** The bundle's folder: the only place any Embedding Lens webview loads from. */
function bundleRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [bundleRoot(extensionUri)] };
}

/**
 * The page for one webview (analysis, compare or dashboard): the one bundle's URIs as this webview
 * serves them, and a fresh nonce per load. `view` picks what the bundle renders; absent: analysis.
 */
export function webviewPageHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  title: string,
  view?: string,
): string {
  const uri = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(bundleRoot(extensionUri), f)).toString();
  return buildWebviewHtml({
    cspSource: webview.cspSource,
    nonce: randomBytes(16).toString('base64'),
    scriptUri: uri('main.js'),
    styleUri: uri('main.css'),
    codiconUri: uri('codicon.css'),
    title,
    view,
  });
}
