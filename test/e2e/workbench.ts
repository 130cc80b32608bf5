/** Small workbench helpers shared by the e2e tests. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { repoRoot } from '../helpers/repoRoot';
import type { VscodeHost } from './vscodeHost';

const cli = path.join(repoRoot, 'dist', 'cli.js');

/** `embedding-lens ARGS` (which must print JSON), parsed. */
export function cliJson(args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as Record<string, unknown>;
}

/** The number at a dotted path of a JSON object ("i2t.R@1"), failing when there is none. */
export function numberAt(json: unknown, key: string, what: string): number {
  const v = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], json);
  assert.equal(typeof v, 'number', `${what} has no number at ${key}`);
  return v as number;
}

/** Every numeric leaf of a JSON object, keyed by its dotted path. */
export function numericLeaves(json: unknown, prefix = ''): Map<string, number> {
  const out = new Map<string, number>();
  if (json && typeof json === 'object') {
    for (const [k, v] of Object.entries(json)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'number') out.set(key, v);
      else for (const [kk, vv] of numericLeaves(v, key)) out.set(kk, vv);
    }
  }
  return out;
}

/**
 * The Explorer section titled `title`, expanded, with every other Explorer section collapsed so
 * that all of its rows are rendered (the tree is virtualised: rows outside the pane do not exist).
 */
export async function soleExplorerSection(h: VscodeHost, title: string, timeoutMs: number): Promise<Locator> {
  const explorer = h.page.locator('.explorer-viewlet');
  // Relative to a pane (for `has`) as well as to the Explorer.
  const ownHeader = h.page.locator('.pane-header', { has: h.page.locator('h3.title', { hasText: title }) });
  const header = explorer.locator(ownHeader);
  await header.waitFor({ timeout: timeoutMs });
  for (const other of await explorer.locator('.pane-header[aria-expanded="true"]').all()) {
    if ((await other.locator('h3.title').textContent())?.trim() !== title) await other.click();
  }
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  await header.and(h.page.locator('[aria-expanded="true"]')).waitFor({ timeout: timeoutMs });
  return explorer.locator('.pane', { has: ownHeader });
}

/** Runs `body`; on failure saves test-results/NAME-failure.png and names it in the error. */
export async function withScreenshotOnFailure(
  h: VscodeHost | undefined,
  name: string,
  body: (h: VscodeHost) => Promise<void>,
): Promise<void> {
  assert.ok(h, 'VS Code did not start');
  try {
    await body(h);
  } catch (err) {
    const shot = await h.screenshot(`${name}-failure`).catch(() => 'none');
    throw new Error(
      `${(err as Error).stack ?? (err as Error).message}\n(screenshot: ${shot})\n--- code-server output (tail) ---\n${h.server.output().slice(-3000)}`,
    );
  }
}

/** Types `text` into the open quick input and accepts the focused row once it shows `row`. */
export async function accept(h: VscodeHost, text: string, row: string, timeoutMs: number): Promise<void> {
  const focused = h.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
  await h.page.keyboard.type(text);
  try {
    await focused.filter({ hasText: row }).waitFor({ timeout: timeoutMs });
  } catch {
    const shown = await focused.textContent({ timeout: 1000 }).catch(() => null);
    throw new Error(`the quick input never offered '${row}' for '${text}' (focused row: ${JSON.stringify(shown)})`);
  }
  await h.page.keyboard.press('Enter');
}

/**
 * Runs the Analyze command on `file` through the palette and the file QuickPick. The palette lists
 * the extension's commands only once the extension host has registered them, hence the retries.
 */
export async function analyzeThroughPalette(h: VscodeHost, file: string): Promise<void> {
  // Typing before the file QuickPick replaces the palette would send keys to the editor. The pick is
  // known by its title: the row for `file` may be scrolled out of the list, so it cannot be awaited.
  // A pick that closes as it opens (focus moving to a webview that just rendered) is asked for again.
  const filePick = h.page
    .locator('.quick-input-widget .quick-input-title')
    .filter({ hasText: 'Embedding Lens: Analyze Embeddings' });
  const deadline = Date.now() + 45000;
  for (;;) {
    await h.page.keyboard.press('F1');
    try {
      await accept(h, 'Embedding Lens: Analyze Embeddings', 'Analyze Embeddings', 5000);
      await filePick.waitFor({ timeout: 10000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await h.page.keyboard.press('Escape');
    }
  }
  const name = path.basename(file);
  await accept(h, name, name, 15000);
}
