/**
 * The one HTML page of every Embedding Lens webview. Pure (no vscode import) so the Chromium tests
 * serve exactly the page, and the CSP, that VS Code shows. No data is ever written into it: the
 * view receives everything by postMessage.
 */
export interface WebviewHtmlParts {
  /** webview.cspSource: the origin the bundle and the stylesheets are served from. */
  cspSource: string;
  /** A fresh random value per page load; every script and inline style must carry it. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
  title: string;
  /** Which view the one bundle renders (webview/src/main.ts dispatches on it); absent: the analysis view. */
  view?: string;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]);
}

function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function buildWebviewHtml(p: WebviewHtmlParts): string {
  const nonce = escapeHtml(p.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(p.title)}</title>
<link rel="stylesheet" id="vscode-codicon-stylesheet" nonce="${nonce}" href="${escapeHtml(p.codiconUri)}">
<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(p.styleUri)}">
<script nonce="${nonce}">window.litNonce = ${JSON.stringify(p.nonce).replace(/</g, '\\u003c')};</script>
<script type="module" nonce="${nonce}" src="${escapeHtml(p.scriptUri)}"></script>
</head>
<body>
<main id="app" data-title="${escapeHtml(p.title)}" data-view="${escapeHtml(p.view ?? 'analysis')}"></main>
</body>
</html>
`;
}
