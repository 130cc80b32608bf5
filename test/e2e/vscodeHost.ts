/**
 * A real VS Code workbench for e2e tests: code-server plus Debian's Chromium driven by Playwright.
 * Collects the console of every frame (webviews are nested iframes) so tests can assert on CSP.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { repoRoot } from '../helpers/repoRoot';

export interface ConsoleLine {
  type: string;
  text: string;
  url: string;
}

export interface VscodeHost {
  server: CodeServer;
  page: Page;
  console: ConsoleLine[];
  /** Saves test-results/NAME.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /**
   * The first frame (at any depth) in which `selector` matches, and whose text contains `text` when
   * given, polling until `timeoutMs`.
   */
  frameWith(selector: string, timeoutMs: number, text?: string): Promise<Frame>;
  dispose(): Promise<void>;
}

export const chromiumPath = '/usr/bin/chromium';
export const resultsDir = path.join(repoRoot, 'test-results');

/** The workbench renders in about 7 s on these machines; the rest is headroom for a loaded CI box. */
const workbenchTimeoutMs = 60000;

export async function openVscode(opts: CodeServerOptions): Promise<VscodeHost> {
  const server = await startCodeServer(opts);
  let browser: Browser | undefined;
  const dispose = async () => {
    await browser?.close().catch(() => undefined);
    await server.dispose();
  };
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
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
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const lines: ConsoleLine[] = [];
    // The context-level event also carries the webviews' out-of-process iframes.
    context.on('console', (m) => lines.push({ type: m.type(), text: m.text(), url: m.location().url }));
    context.on('weberror', (e) => lines.push({ type: 'pageerror', text: String(e.error()), url: '' }));
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: workbenchTimeoutMs });

    const screenshot = async (name: string) => {
      mkdirSync(resultsDir, { recursive: true });
      const file = path.join(resultsDir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    };
    const frameWith = async (selector: string, timeoutMs: number, text = '') => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen: string[] = [];
        for (const frame of page.frames()) {
          // Frames come and go as webviews load; a detached one simply does not match.
          const found = await frame.$eval(selector, (e) => e.textContent ?? '').catch(() => undefined);
          if (found === undefined) continue;
          if (found.includes(text)) return frame;
          seen.push(found);
        }
        if (Date.now() > deadline) {
          const what = text ? `${selector} containing '${text}' (seen: ${JSON.stringify(seen)})` : selector;
          throw new Error(`no frame shows ${what} after ${timeoutMs / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    return { server, page, console: lines, screenshot, frameWith, dispose };
  } catch (err) {
    const output = server.output();
    await dispose();
    throw new Error(`${(err as Error).message}\n--- code-server output ---\n${output}`);
  }
}

/** Console lines that report a Content Security Policy violation. */
export function cspViolations(lines: ConsoleLine[]): ConsoleLine[] {
  return lines.filter((l) =>
    /Content Security Policy|Refused to (load|execute|apply|evaluate|connect|frame)/i.test(l.text),
  );
}
