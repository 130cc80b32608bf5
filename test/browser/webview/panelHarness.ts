/**
 * Serves the analysis webview the way VS Code does (the production HTML and CSP from
 * webviewHtml.ts, the built bundle) with acquireVsCodeApi stubbed, and drives it in Chromium.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, afterEach, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AnalysisViewToHost, HostToAnalysisView } from '../../../src/protocol/analysisPanel';
import type { HostToCompareView } from '../../../src/protocol/comparePanel';
import type { HostToDashboard } from '../../../src/protocol/dashboard';
import { buildWebviewHtml } from '../../../src/extension/webviewHtml';
import type { TestTheme } from './themeVars';
import { repoRoot } from '../../helpers/repoRoot';

export const bundleDir = path.join(repoRoot, 'dist', 'webview');
export const resultsDir = path.join(repoRoot, 'test-results');

const contentTypes: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };

/**
 * Stands in for VS Code's webview host: posted messages are recorded, state lives in
 * sessionStorage so it survives a reload the way VS Code keeps it across hide and show.
 */
function stubScript(theme: TestTheme): string {
  return `
window.posted = [];
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.posted.push(m),
  getState: () => { const s = sessionStorage.getItem('state'); return s === null ? undefined : JSON.parse(s); },
  setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
});
for (const [k, v] of Object.entries(${JSON.stringify(theme.vars)})) document.documentElement.style.setProperty(k, v);
`;
}

export class PanelServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  /** view: the page's view kind (webviewHtml.ts), e.g. 'dashboard'; absent: the analysis view. */
  static async start(theme: TestTheme, view?: string): Promise<PanelServer> {
    if (!existsSync(path.join(bundleDir, 'main.js')))
      throw new Error(`${bundleDir}/main.js is missing: run node scripts/build.mjs first`);
    let origin = '';
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', origin);
      // Chromium asks every page for one; a VS Code webview never does.
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(pageHtml(origin, theme, view));
        return;
      }
      const file = path.join(bundleDir, path.basename(url.pathname));
      if (!url.pathname.startsWith('/webview/') || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new PanelServer(server, origin);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function pageHtml(origin: string, theme: TestTheme, view?: string): string {
  const nonce = randomBytes(16).toString('base64');
  const html = buildWebviewHtml({
    cspSource: origin,
    nonce,
    scriptUri: `${origin}/webview/main.js`,
    styleUri: `${origin}/webview/main.css`,
    codiconUri: `${origin}/webview/codicon.css`,
    title: 'clip-fixture.safetensors',
    view,
  });
  // VS Code sets the theme class on <body> and the variables before any webview script runs.
  return html
    .replace('</head>', `<script nonce="${nonce}">${stubScript(theme)}</script>\n</head>`)
    .replace('<body>', `<body class="${theme.bodyClass}">`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A message as a webview receives it from VS Code's postMessage: JSON (NaN becomes null, undefined
 * fields vanish), except typed arrays, which travel as binary buffers and arrive as themselves.
 */
export function asVscodeSends<T>(message: T): T {
  const buffers: ArrayBufferView[] = [];
  const json = JSON.stringify(message, (_key, v: unknown) =>
    ArrayBuffer.isView(v) ? { vscodeBuffer: buffers.push(v) - 1 } : v,
  );
  return JSON.parse(json, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && 'vscodeBuffer' in v
      ? buffers[(v as { vscodeBuffer: number }).vscodeBuffer]
      : v,
  ) as T;
}

/** A loaded panel page plus every console error, page error and CSP violation it produced. */
export class PanelPage {
  readonly problems: string[] = [];

  private constructor(readonly page: Page) {
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text()))
        this.problems.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => this.problems.push(`pageerror: ${e.message}`));
  }

  static async open(
    browser: Browser,
    server: PanelServer,
    viewport = { width: 1280, height: 900 },
  ): Promise<PanelPage> {
    const page = await browser.newPage({ viewport });
    const panel = new PanelPage(page);
    await page.goto(server.origin + '/');
    await panel.waitForReady();
    return panel;
  }

  async waitForReady(): Promise<void> {
    await this.page.waitForFunction(() =>
      (window as unknown as { posted: { type: string }[] }).posted.some((m) => m.type === 'ready'),
    );
  }

  async post(message: HostToAnalysisView | HostToCompareView | HostToDashboard): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), asVscodeSends(message));
    // Messages are dispatched as tasks; wait one animation frame so the render has happened.
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
  }

  posted(): Promise<AnalysisViewToHost[]> {
    return this.page.evaluate(() => (window as unknown as { posted: AnalysisViewToHost[] }).posted);
  }

  /** Console errors, page errors and CSP violations seen so far (should stay empty). */
  async allProblems(): Promise<string[]> {
    const violations = await this.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
    return [...this.problems, ...violations.map((v) => `csp: ${v}`)];
  }

  /** The current option of one chart, read back from the live ECharts instance under the view's test seam. */
  chartOption<T = ChartOptionShape>(name: string, seam: ChartSeam = 'embeddingLensCharts'): Promise<T> {
    return this.page.evaluate(
      ([n, s]) => {
        const charts = (window as unknown as Record<ChartSeam, Record<string, { getOption(): unknown }>>)[s];
        return JSON.parse(JSON.stringify(charts[n].getOption())) as T;
      },
      [name, seam] as const,
    );
  }
}

/** The window globals under which the analysis, compare and dashboard views expose their charts. */
type ChartSeam = 'embeddingLensCharts' | 'embeddingLensCompareCharts' | 'embeddingLensDashboardCharts';

/**
 * The hooks every webview suite shares; call inside describe(). One Chromium and one server per
 * suite; after each test, the page `open()` loaded last is closed and must have logged no console
 * error, page error or CSP violation.
 */
export function panelSuite(
  theme: TestTheme,
  view?: string,
): { open(viewport?: { width: number; height: number }): Promise<PanelPage> } {
  let browser: Browser;
  let server: PanelServer;
  let panel: PanelPage | undefined;

  before(async () => {
    browser = await launchChromium();
    server = await PanelServer.start(theme, view);
    mkdirSync(resultsDir, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async () => {
    if (!panel) return;
    const problems = await panel.allProblems();
    await panel.page.close();
    panel = undefined;
    assert.deepEqual(problems, [], 'console errors, page errors or CSP violations');
  });

  return { open: async (viewport) => (panel = await PanelPage.open(browser, server, viewport)) };
}

/** The parts of an ECharts option the tests read. */
export interface ChartOptionShape {
  series: {
    type: string;
    name: string;
    data: unknown[];
    itemStyle?: { color?: string };
    lineStyle?: { color?: string };
  }[];
  xAxis: { name: string; min?: number; max?: number }[];
  yAxis: { name: string }[];
}
