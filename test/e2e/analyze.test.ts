/**
 * The user's path through the real workbench: F1 > "Embedding Lens: Analyze Embeddings" > pick a
 * file > the panel's metric cards, which must match what the CLI prints for the same file.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { analyzeJson, makeSampleWorkspace, type E2eWorkspace } from './sampleWorkspace';
import { cspViolations, openVscode, type VscodeHost } from './vscodeHost';
import { accept, analyzeThroughPalette, numberAt, withScreenshotOnFailure } from './workbench';

/** Analysis of the 500-pair sample takes seconds; the rest is room for a loaded CI machine. */
const panelTimeoutMs = 60000;
const hookTimeoutMs = 120000;

let host: VscodeHost | undefined;
let ws: E2eWorkspace | undefined;

before(
  async () => {
    ws = makeSampleWorkspace();
    host = await openVscode({ folder: ws.dir });
  },
  { timeout: hookTimeoutMs },
);

after(async () => {
  await host?.dispose();
  if (ws) rmSync(ws.dir, { recursive: true, force: true });
});

test('Analyze Embeddings shows the same modality gap and R@1 as the CLI', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'analyze', async (h) => {
    assert.ok(ws);
    const expected = analyzeJson(ws.checkpoint);
    await analyzeThroughPalette(h, ws.checkpoint);
    const frame = await h.frameWith('[data-metric="modality_gap"][data-value]', panelTimeoutMs);
    for (const key of ['modality_gap', 'i2t.R@1']) {
      const shown = await frame.getAttribute(`[data-metric="${key}"]`, 'data-value', { timeout: 5000 });
      assert.ok(shown !== null, `the panel has no card with data-metric="${key}"`);
      const want = numberAt(expected, key, "the CLI's JSON");
      assert.ok(Math.abs(Number(shown) - want) <= 1e-6, `${key}: the panel shows ${shown}, the CLI prints ${want}`);
    }
    // Charts draw after the cards; give them a moment so the screenshot shows the whole panel.
    await h.page.waitForTimeout(1500);
    await h.screenshot('analyze');
  });
});

test(
  "the sphere's DOSNES toggle has the worker lay the pairs out, then draws them",
  { timeout: hookTimeoutMs },
  async () => {
    await withScreenshotOnFailure(host, 'analyze-dosnes', async (h) => {
      const frame = await h.frameWith('[data-metric="modality_gap"][data-value]', panelTimeoutMs);
      const note = frame.locator('#sphere-note');
      assert.match((await note.textContent()) ?? '', /on PC1–PC3/);
      await frame.locator('#sphere-layout').click();
      await note.filter({ hasText: 'laid out by DOSNES' }).waitFor({ timeout: panelTimeoutMs });
      assert.match((await note.textContent()) ?? '', /^All 500 pairs laid out by DOSNES/);
      const drawn = await frame.evaluate(() => {
        const option = (
          window as unknown as {
            embeddingLensCharts: { sphere: { getOption(): { series: { name: string; data: number[][] }[] } } };
          }
        ).embeddingLensCharts.sphere.getOption();
        const count = (prefix: string) =>
          option.series.filter((s) => s.name.startsWith(prefix)).reduce((n, s) => n + s.data.length, 0);
        return { image: count('image'), text: count('text') };
      });
      assert.deepEqual(drawn, { image: 500, text: 500 });
      assert.equal((await frame.locator('#sphere-layout').textContent())?.trim(), 'PCA');
    });
  },
);

/** data-metric -> data-value of every metric card in `frame`. */
async function cardValues(frame: Frame): Promise<Record<string, string>> {
  return frame.$$eval('[data-metric][data-value]', (cards) =>
    Object.fromEntries(cards.map((c) => [c.getAttribute('data-metric') ?? '', c.getAttribute('data-value') ?? ''])),
  );
}

test(
  'the panel shows the same cards after being hidden behind another editor and shown again',
  { timeout: hookTimeoutMs },
  async () => {
    await withScreenshotOnFailure(host, 'analyze-hide-show', async (h) => {
      assert.ok(ws);
      const before = await h.frameWith('[data-metric="modality_gap"][data-value]', panelTimeoutMs);
      const shown = await cardValues(before);
      assert.ok(Object.keys(shown).length >= 5, `the panel shows only ${Object.keys(shown).length} cards`);
      // Quick Open puts README.md in front of the panel, which hides the webview.
      await h.page.keyboard.press('Control+P');
      // From inside the webview (the DOSNES toggle was clicked last), focus reaches Quick Open a moment later.
      await h.page.locator('.quick-input-widget .quick-input-box input:focus').waitFor({ timeout: 15000 });
      await accept(h, 'README.md', 'README.md', 15000);
      await h.page.locator('.tabs-container .tab.active').filter({ hasText: 'README.md' }).waitFor({ timeout: 15000 });
      // VS Code drops a hidden webview's page (no retainContextWhenHidden): the restore path is what runs next.
      const deadline = Date.now() + 15000;
      while (!before.isDetached()) {
        assert.ok(Date.now() < deadline, "the panel's page was not dropped while README.md was in front");
        await h.page.waitForTimeout(100);
      }
      await h.page
        .locator('.tabs-container .tab')
        .filter({ hasText: 'Embedding Lens: clip-sample.npy' })
        .click({ timeout: 15000 });
      const after = await h.frameWith('[data-metric="modality_gap"][data-value]', panelTimeoutMs);
      assert.notEqual(after, before);
      assert.deepEqual(await cardValues(after), shown);
      // The layout chosen before (DOSNES, by the previous test) survives too.
      assert.match((await after.locator('#sphere-note').textContent()) ?? '', /laid out by DOSNES/);
    });
  },
);

test('a truncated .npy shows its error in the panel, not a crash', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'analyze-truncated', async (h) => {
    assert.ok(ws);
    await analyzeThroughPalette(h, ws.truncated);
    await h.frameWith('#status', panelTimeoutMs, path.basename(ws.truncated));
  });
});

test('no frame reported a Content Security Policy violation', () => {
  assert.ok(host);
  assert.deepEqual(cspViolations(host.console), []);
});
