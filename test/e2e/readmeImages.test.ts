/**
 * The README's images, taken from the real workbench on every end-to-end run so that they never go
 * stale: one screenshot per view a user sees, in a 1366 × 768 window, on the sample workspace
 * (`embedding-lens sample DIR`) plus a one-epoch tfjs run config. Written to test-results/readme/;
 * `npm run readme-images` (scripts/readme-images.mjs) runs this file alone and copies them into
 * media/readme/, which README.md's "Views" section shows. Each view is its own test, so one view that
 * fails to show still leaves the others' images.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame, Locator } from 'playwright-core';
import { repoRoot } from '../helpers/repoRoot';
import { readmeImages, readmeImagesFolder } from './readmeImageList';
import { openVscode, type VscodeHost } from './vscodeHost';
import { accept, analyzeThroughPalette, soleExplorerSection, withScreenshotOnFailure } from './workbench';

/** Where the images go; scripts/readme-images.mjs copies them from here into media/readme/. */
const readmeImagesDir = path.join(repoRoot, ...readmeImagesFolder);

/** The README's window: a common laptop screen. */
const viewport = { width: 1366, height: 768 };
const viewTimeoutMs = 90000;
const hookTimeoutMs = 150000;
const runName = 'tiny';

let host: VscodeHost | undefined;
let dir: string | undefined;

before(
  async () => {
    // Named as `npm run demo` names it: the name shows in the window title and the Explorer.
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-readme-')), 'sample-workspace');
    execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'sample', dir], { stdio: 'ignore' });
    // The sample has no run config; one epoch of 3 steps on its 500 pairs (tfjs, the default engine).
    const config = { train: 'clip-sample.npy', eval: 'clip-sample.npy', epochs: 1, batchSize: 128 };
    writeFileSync(path.join(dir, `${runName}.m2mix.json`), JSON.stringify(config, null, 2) + '\n');
    host = await openVscode({ folder: dir });
    await host.page.setViewportSize(viewport);
    // Only this run's images: scripts/readme-images.mjs copies the folder as it finds it.
    rmSync(readmeImagesDir, { recursive: true, force: true });
    mkdirSync(readmeImagesDir, { recursive: true });
  },
  { timeout: hookTimeoutMs },
);

after(async () => {
  await host?.dispose();
  if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
});

/** Saves test-results/readme/NAME.png with the pointer parked where it hovers nothing. */
async function capture(h: VscodeHost, name: string, toTop?: Frame): Promise<void> {
  assert.ok(name in readmeImages, `${name} is not a README image`);
  await h.page.mouse.move(viewport.width - 2, viewport.height / 2);
  // Charts draw (and animate) after the data arrives.
  await h.page.waitForTimeout(1500);
  // A page that scrolled itself while it filled in (the dashboard) is shown from its top.
  await toTop?.evaluate(() => {
    for (const e of [document.scrollingElement, ...Array.from(document.querySelectorAll('*'))])
      if (e && e.scrollTop > 0) e.scrollTop = 0;
  });
  await h.page.waitForTimeout(300);
  // Focus moving into the Explorer's panes can scroll the workbench's split views by a few pixels.
  await h.page.evaluate(() => {
    for (const e of Array.from(document.querySelectorAll('.split-view-container'))) e.scrollTo(0, 0);
  });
  await h.page.screenshot({ path: path.join(readmeImagesDir, `${name}.png`) });
}

/** Runs a palette command by its title, retrying while the extension host registers its commands. */
async function paletteCommand(h: VscodeHost, title: string, row = title): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    await h.page.keyboard.press('F1');
    try {
      await accept(h, title, row, 5000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await h.page.keyboard.press('Escape');
    }
  }
}

/** Closes every editor and notification, so that each image shows one view. */
async function fresh(h: VscodeHost): Promise<void> {
  await h.page.keyboard.press('Escape');
  await paletteCommand(h, 'View: Close All Editors', 'Close All Editors');
  await paletteCommand(h, 'Notifications: Clear All Notifications', 'Clear All Notifications');
  await h.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: 15000 });
}

/** The Explorer row of `relative` (a path under the workspace), its folders expanded on the way. */
async function explorerRow(h: VscodeHost, relative: string): Promise<Locator> {
  assert.ok(dir);
  const files = await soleExplorerSection(h, path.basename(dir), 30000);
  const parts = relative.split('/');
  let row: Locator | undefined;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i];
    row = files.locator(`.monaco-list-row[aria-level="${i + 1}"]`, {
      has: h.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }),
    });
    await row.waitFor({ timeout: 30000 });
    if (i < parts.length - 1 && (await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  }
  return row!;
}

/** Right-clicks the Explorer selection and runs `item` of its context menu. */
async function explorerContextMenu(h: VscodeHost, on: Locator, item: string): Promise<void> {
  await on.click({ button: 'right' });
  const entry = h.page.locator('.monaco-menu .action-item', { hasText: new RegExp(`^${item}$`) });
  await entry.waitFor({ timeout: 10000 });
  // A menu ignores a click that comes too soon after it opened; the hovered entry also takes Enter.
  await h.page.waitForTimeout(500);
  await entry.click();
  await h.page.waitForTimeout(500);
  if (await entry.isVisible()) await h.page.keyboard.press('Enter');
  await entry.waitFor({ state: 'hidden', timeout: 10000 });
}

/** Scrolls a compare page so that its Charts section starts at the top of the window. */
async function scrollToCharts(frame: Frame): Promise<void> {
  // Not scrollIntoView, which would scroll the workbench around the webview too.
  await frame.evaluate(() => {
    const charts = document.querySelector('#charts-section');
    if (charts) window.scrollTo(0, charts.getBoundingClientRect().top + window.scrollY);
  });
}

/** Drags the sash between the side bar and the editors so that the side bar is `width` pixels wide. */
async function widenSideBar(h: VscodeHost, width: number): Promise<void> {
  const box = await h.page.locator('.part.sidebar').boundingBox();
  assert.ok(box, 'the side bar is not shown');
  const y = box.y + box.height / 2;
  await h.page.mouse.move(box.x + box.width, y);
  await h.page.mouse.down();
  await h.page.mouse.move(box.x + width, y, { steps: 5 });
  await h.page.mouse.up();
}

test('README image: the analysis panel', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-analysis-panel', async (h) => {
    assert.ok(dir);
    await analyzeThroughPalette(h, path.join(dir, 'clip-sample.npy'));
    const frame = await h.frameWith('[data-metric="modality_gap"][data-value]', viewTimeoutMs);
    await frame.waitForSelector('[data-chart] canvas', { timeout: 15000 });
    await capture(h, 'analysis-panel');
  });
});

test('README image: the checkpoint editor', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-checkpoint-editor', async (h) => {
    await fresh(h);
    await h.page.keyboard.press('Control+P');
    await h.page.locator('.quick-input-widget .quick-input-box input:focus').waitFor({ timeout: 15000 });
    await accept(h, 'clip-sample.safetensors', 'clip-sample.safetensors', 15000);
    await h.page
      .locator('.tabs-container .tab.active')
      .filter({ hasText: 'clip-sample.safetensors' })
      .waitFor({ timeout: 15000 });
    await paletteCommand(h, 'View: Reopen Editor With...', 'Reopen Editor With');
    await h.page.locator('.quick-input-widget .quick-input-list').waitFor({ timeout: 15000 });
    await accept(h, 'Embedding Lens', 'Embedding Lens', 15000);
    const frame = await h.frameWith('[data-metric="modality_gap"][data-value]', viewTimeoutMs);
    // The metadata (500 captions) opens expanded; folded to its one line, the analysis shows under it.
    const metadata = frame.locator('details[open] > summary', { hasText: 'safetensors metadata' });
    if ((await metadata.count()) > 0) await metadata.click();
    await capture(h, 'checkpoint-editor');
  });
});

test('README image: the compare view', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-compare', async (h) => {
    await fresh(h);
    const pane = await soleExplorerSection(h, 'Embedding Checkpoints', 30000);
    for (const name of ['clip-sample.npy', 'random-init.npy']) {
      const row = pane
        .locator('.monaco-list-row')
        .filter({ has: h.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }) });
      await row.waitFor({ timeout: 30000 });
      await row.click({ modifiers: ['ControlOrMeta'] });
    }
    await pane.locator('.pane-header').hover();
    await pane
      .locator('.pane-header a.action-label[aria-label="Compare Selected Checkpoints"]')
      .click({ timeout: 10000 });
    const frame = await h.frameWith('#metrics tr[data-metric="modality_gap"] td[data-delta]', viewTimeoutMs);
    await frame.waitForSelector('[data-chart="plane"] canvas', { timeout: 15000 });
    await scrollToCharts(frame);
    await capture(h, 'compare');
  });
});

test('README image: zero-shot classification of the sample suite', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-zero-shot', async (h) => {
    await fresh(h);
    await explorerContextMenu(h, await explorerRow(h, 'classification/zero-shot.suite.json'), 'Analyze Embeddings');
    const frame: Frame = await h.frameWith('#suite-table', viewTimeoutMs);
    await frame.waitForSelector('#zero-shot-cards [data-metric]', { timeout: viewTimeoutMs });
    await capture(h, 'zero-shot');
  });
});

test('README image: the robustness plot of two suites', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-robustness', async (h) => {
    await fresh(h);
    const first = await explorerRow(h, 'classification/zero-shot.suite.json');
    const second = await explorerRow(h, 'classification/fine-tuned.suite.json');
    await first.click();
    await second.click({ modifiers: ['ControlOrMeta'] });
    await explorerContextMenu(h, second, 'Compare Checkpoints');
    const frame = await h.frameWith('[data-chart="robustness"] canvas', viewTimeoutMs);
    await frame.waitForSelector('#metrics table', { timeout: 15000 });
    await scrollToCharts(frame);
    await capture(h, 'robustness');
  });
});

test('README image: the training dashboard after a one-epoch run', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-training-dashboard', async (h) => {
    await fresh(h);
    await (await explorerRow(h, `${runName}.m2mix.json`)).click();
    await h.page.locator('.monaco-editor .view-lines', { hasText: '"batchSize"' }).waitFor({ timeout: 30000 });
    const run = h.page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run' });
    await run.waitFor({ timeout: 30000 });
    await run.click();
    const ended = ['completed', 'cancelled', 'diverged', 'failed'].map((s) => `[data-status="${s}"]`).join(',');
    const frame = await h.frameWith(`#activity:is(${ended}) #status`, viewTimeoutMs);
    assert.equal(
      await frame.getAttribute('#activity', 'data-status'),
      'completed',
      `the run ended: ${await frame.textContent('#status')}`,
    );
    await frame.waitForSelector('[data-chart="loss"] canvas', { timeout: 15000 });
    // The dashboard opens beside the config; closing the config's editor (its group closes with it)
    // and the run's notification leaves the dashboard alone in the window.
    await h.page
      .locator('.tabs-container .tab', { hasText: `${runName}.m2mix.json` })
      .locator('.codicon-close')
      .click({ timeout: 10000 });
    await paletteCommand(h, 'Notifications: Clear All Notifications', 'Clear All Notifications');
    const dashboard = await h.frameWith('[data-chart="loss"] canvas', viewTimeoutMs);
    // The dashboard scrolls as the run fills it in; the image starts at its top, with the status.
    await capture(h, 'training-dashboard', dashboard);
  });
});

test("README image: Show Compute Backend's notification", { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-compute-backend', async (h) => {
    await paletteCommand(h, 'Notifications: Clear All Notifications', 'Clear All Notifications');
    await paletteCommand(h, 'Embedding Lens: Show Compute Backend', 'Show Compute Backend');
    await h.page.locator('.notification-toast', { hasText: 'GFLOP/s measured' }).waitFor({ timeout: viewTimeoutMs });
    await capture(h, 'compute-backend');
  });
});

test('README image: the Embedding Checkpoints tree', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'readme-checkpoints-tree', async (h) => {
    await paletteCommand(h, 'Notifications: Clear All Notifications', 'Clear All Notifications');
    const pane = await soleExplorerSection(h, 'Embedding Checkpoints', 30000);
    // The files analysed by the tests before carry R@1 and the gap.
    await pane.locator('.monaco-list-row', { hasText: 'R@1' }).first().waitFor({ timeout: viewTimeoutMs });
    await widenSideBar(h, 560);
    await capture(h, 'checkpoints-tree');
  });
});

test('every README image was taken', () => {
  const missing = Object.keys(readmeImages).filter((name) => !existsSync(path.join(readmeImagesDir, `${name}.png`)));
  assert.deepEqual(missing, [], 'README images not taken (see the failures above)');
});
