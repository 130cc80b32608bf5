/**
 * The user's path to a comparison in the real workbench: Explorer > "Embedding Checkpoints" >
 * ctrl-click three checkpoints > the view's "Compare Selected Checkpoints" button > the compare
 * panel, whose metrics table must show the values and deltas the CLI's `compare --json` prints.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { repoRoot } from '../helpers/repoRoot';
import { cspViolations, openVscode, type VscodeHost } from './vscodeHost';
import { accept, cliJson, soleExplorerSection, withScreenshotOnFailure } from './workbench';

/** Comparing three 500-pair checkpoints takes seconds; the rest is room for a loaded CI machine. */
const panelTimeoutMs = 60000;
const hookTimeoutMs = 120000;

/** The three checkpoints picked in the tree, in the order they are ctrl-clicked. */
const picked = ['clip-sample.npy', 'random-init.npy', 'clip-sample.safetensors'];
/** Table rows checked against the CLI, and how closely (the worker's and the CLI's backend may differ in float rounding). */
const checkedRows: [string, number][] = [
  ['modality_gap', 1e-6],
  ['i2t.R@1', 1e-9],
  ['t2i.R@1', 1e-9],
  ['alignment', 1e-6],
  ['uniformity', 1e-6],
];

let host: VscodeHost | undefined;
let dir: string | undefined;

before(
  async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-e2e-compare-'));
    execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'sample', dir], { stdio: 'ignore' });
    host = await openVscode({ folder: dir });
  },
  { timeout: hookTimeoutMs },
);

after(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Selects `names` in the checkpoints tree by ctrl-clicking each row (no click opens an editor). */
async function selectInTree(h: VscodeHost, names: string[]): Promise<void> {
  const pane = await soleExplorerSection(h, 'Embedding Checkpoints', 30000);
  const row = (name: string) =>
    pane
      .locator('.monaco-list-row')
      .filter({ has: h.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }) });
  for (const name of names) {
    // Rows appear once the extension has activated and found the files.
    await row(name).waitFor({ timeout: 30000 });
    await row(name).click({ modifiers: ['ControlOrMeta'] });
  }
  const selected = await pane.locator('.monaco-list-row[aria-selected="true"] .label-name').allTextContents();
  assert.deepEqual(
    [...selected].sort(),
    [...names].sort(),
    'the tree did not end up with exactly the ctrl-clicked rows selected',
  );
  const compare = pane.locator('.pane-header a.action-label[aria-label="Compare Selected Checkpoints"]');
  await pane.locator('.pane-header').hover();
  await compare.click({ timeout: 10000 });
}

/** The checkpoint names of the metrics table's columns, in order, and which one is the baseline. */
async function tableColumns(frame: Frame): Promise<{ names: string[]; baseline: number }> {
  return frame.$$eval('#metrics table thead th[scope="col"]', (ths) => {
    const cols = ths.slice(1); // the first is the "Metric" column
    return {
      names: cols.map((th) => th.firstChild?.textContent?.trim() ?? ''),
      baseline: cols.findIndex((th) => th.classList.contains('baseline')),
    };
  });
}

test('Compare Selected Checkpoints shows the deltas the CLI computes', { timeout: hookTimeoutMs }, async () => {
  await withScreenshotOnFailure(host, 'e2e-compare', async (h) => {
    assert.ok(dir);
    await selectInTree(h, picked);
    const frame = await h.frameWith('#metrics tr[data-metric="modality_gap"] td[data-delta]', panelTimeoutMs);

    const { names, baseline } = await tableColumns(frame);
    assert.deepEqual([...names].sort(), [...picked].sort(), 'the table does not compare the selected checkpoints');
    assert.ok(baseline >= 0, 'no column is marked as the baseline');
    // The CLI's baseline is its first file: hand it the table's baseline first, then the others.
    const order = [names[baseline], ...names.filter((_, i) => i !== baseline)];
    const expected = cliJson(['compare', ...order.map((n) => path.join(dir!, n)), '--json']);
    assert.equal(expected.baseline, names[baseline]);

    for (const [key, tolerance] of checkedRows) {
      const cells = await frame.$$eval(`#metrics tr[data-metric="${key}"] td[data-checkpoint]`, (tds) =>
        tds.map((td) => ({
          value: Number(td.getAttribute('data-value')),
          delta: Number(td.getAttribute('data-delta')),
          verdict: td.getAttribute('data-verdict'),
          text: td.textContent,
        })),
      );
      assert.equal(
        cells.length,
        names.length,
        `the row ${key} has ${cells.length} cells for ${names.length} checkpoints`,
      );
      cells.forEach((cell, i) => {
        const what = `${key} of ${names[i]}`;
        const row = (
          expected.metrics as Record<
            string,
            { values: Record<string, number>; deltas: Record<string, number> } | undefined
          >
        )[key];
        assert.ok(row, `compare --json has no metric ${key}`);
        const value = row.values[names[i]];
        const delta = row.deltas[names[i]];
        assert.ok(
          typeof value === 'number' && typeof delta === 'number',
          `compare --json has no ${key} of ${names[i]}`,
        );
        assert.ok(
          Math.abs(cell.value - value) <= tolerance,
          `${what}: the panel shows ${cell.value}, the CLI prints ${value}`,
        );
        assert.ok(
          Math.abs(cell.delta - delta) <= tolerance,
          `${what}: the panel's delta is ${cell.delta}, the CLI's ${delta}`,
        );
        if (i === baseline) assert.equal(cell.verdict, 'baseline', `${what} is not marked as the baseline`);
      });
    }
    // random-init.npy is the untrained geometry: its gap and R@1 must visibly differ from the sample's.
    const random = names.indexOf('random-init.npy');
    for (const key of ['modality_gap', 'i2t.R@1']) {
      const delta = Number(
        await frame.getAttribute(`#metrics tr[data-metric="${key}"] td[data-checkpoint="${random}"]`, 'data-delta'),
      );
      assert.ok(Math.abs(delta) > 1e-3, `${key}: random-init.npy's delta ${delta} is not a real difference`);
      const shown = await frame.textContent(`#metrics tr[data-metric="${key}"] td[data-checkpoint="${random}"] .delta`);
      assert.match(
        shown ?? '',
        /^[+−]/,
        `${key}: random-init.npy's cell shows no signed delta (${JSON.stringify(shown)})`,
      );
    }

    // The charts draw after the table; wait for their canvases so the screenshot shows them.
    await frame.waitForSelector('[data-chart="recall"] canvas', { timeout: 15000 });
    // Off the view's title bar, whose button would otherwise keep its hover over the tree.
    await h.page.mouse.move(900, 700);
    await h.page.waitForTimeout(1000);
    await h.screenshot('e2e-compare');
  });
});

/** Runs an export command from the palette and accepts the save dialog's suggested file. */
async function exportThroughPalette(h: VscodeHost, command: string, chartTitle?: string): Promise<void> {
  await h.page.keyboard.press('F1');
  await accept(h, `Embedding Lens: ${command}`, command, 10000);
  if (chartTitle) {
    await h.page
      .locator('.quick-input-widget .quick-input-title')
      .filter({ hasText: command.replace(/…$/, '') })
      .waitFor({ timeout: 10000 });
    await accept(h, chartTitle, chartTitle, 10000);
  }
  // code-server's save dialog is a quick input holding the suggested path; Enter saves there.
  await h.page
    .locator('.quick-input-widget .quick-input-box input')
    .filter({ visible: true })
    .waitFor({ timeout: 10000 });
  await h.page.waitForTimeout(500);
  await h.page.keyboard.press('Enter');
}

async function waitForFile(file: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${path.basename(file)} was not written within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return readFileSync(file, 'utf8');
}

test(
  "the export commands save the compare panel's metrics and a chart beside the checkpoints",
  { timeout: hookTimeoutMs },
  async () => {
    await withScreenshotOnFailure(host, 'e2e-compare-export', async (h) => {
      assert.ok(dir);
      const frame = await h.frameWith('#metrics tr[data-metric="modality_gap"] td[data-delta]', panelTimeoutMs);
      const shown = await frame.$$eval('#metrics tr[data-metric="modality_gap"] td[data-checkpoint]', (tds) =>
        tds.map((td) => Number(td.getAttribute('data-value'))),
      );

      await exportThroughPalette(h, 'Export Metrics as CSV…');
      const csv = (await waitForFile(path.join(dir, 'compare-metrics.csv'), 15000)).trimEnd().split('\n');
      const { names } = await tableColumns(frame);
      assert.deepEqual(
        csv[0].split(',').slice(2, 2 + names.length),
        names,
        "the CSV columns are the table's checkpoints, in its order",
      );
      const gap = csv.find((l) => l.startsWith('modality_gap,'));
      assert.ok(gap, 'the CSV has a modality_gap row');
      assert.deepEqual(
        gap
          .split(',')
          .slice(2, 2 + names.length)
          .map(Number),
        shown,
        'the CSV holds the values the table shows',
      );

      await exportThroughPalette(h, 'Export Chart as SVG…', 'Recall at K');
      const svg = await waitForFile(path.join(dir, 'compare-recall.svg'), 15000);
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<path[\s\S]*<\/svg>$/);
      for (const name of names) assert.ok(svg.includes(name), `the recall chart's legend names ${name}`);
    });
  },
);

test('no frame reported a Content Security Policy violation', () => {
  assert.ok(host);
  assert.deepEqual(cspViolations(host.console), []);
});
