import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildWebviewHtml } from '../../../src/extension/webviewHtml';

const parts = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'bm9uY2Uh',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.css',
  codiconUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css',
  title: 'a<script>alert("x")</script>&b.npy',
};

describe('buildWebviewHtml', () => {
  const html = buildWebviewHtml(parts);

  it('sets the strict CSP, with no unsafe-inline or unsafe-eval', () => {
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    assert.equal(
      csp,
      `default-src 'none'; img-src ${parts.cspSource} data:; font-src ${parts.cspSource}; ` +
        `style-src ${parts.cspSource} 'nonce-${parts.nonce}'; script-src 'nonce-${parts.nonce}'`,
    );
  });

  it('escapes the title wherever it appears', () => {
    assert.ok(!html.includes('<script>alert'));
    assert.equal(html.match(/a&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;b\.npy/g)?.length, 2);
  });

  it('puts the nonce on every script and stylesheet, and sets litNonce before the bundle runs', () => {
    const tags = html.match(/<(script|link)\b[^>]*>/g) ?? [];
    assert.equal(tags.length, 4);
    for (const tag of tags) assert.match(tag, new RegExp(`nonce="${parts.nonce}"`), tag);
    assert.ok(html.indexOf(`window.litNonce = "${parts.nonce}"`) < html.indexOf(parts.scriptUri));
    assert.match(html, /<link rel="stylesheet" id="vscode-codicon-stylesheet" nonce="[^"]+" href="[^"]*codicon\.css">/);
  });

  it('has no style attributes, which the CSP would block', () => {
    assert.doesNotMatch(html, /\sstyle=/);
  });
});
