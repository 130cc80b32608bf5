import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { AnalysisResult } from '../../src/core/metrics/types';
import { geometryKeys } from '../helpers/metricKeys';
import { PanelPage, panelSuite, resultsDir, type ChartOptionShape } from './panelHarness';
import { makeSnapshot } from './snapshotFixture';
import { darkTheme, lightTheme, type TestTheme } from './themeVars';

const cardKeys = [
  ...geometryKeys,
  ...['i2t', 't2i'].flatMap((d) => ['R@1', 'R@5', 'R@10', 'median_rank', 'mean_rank'].map((k) => `${d}.${k}`)),
  'ece',
];

function valueAt(m: AnalysisResult, key: string): number {
  const [a, b] = key.split('.');
  return b === undefined ? (m[a as keyof AnalysisResult] as number) : (m[a as 'i2t' | 't2i'][b] as number);
}

async function applyTheme(panel: PanelPage, theme: TestTheme): Promise<void> {
  await panel.page.evaluate((t) => {
    for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = t.bodyClass;
  }, theme);
  await panel.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
}

describe('analysis panel webview (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme);
  let panel: PanelPage | undefined;

  it('posts ready on load and renders every metric card from the snapshot', async () => {
    panel = await suite.open();
    assert.deepEqual(await panel.posted(), [{ type: 'ready' }]);
    const snapshot = makeSnapshot();
    await panel.post({ type: 'snapshot', snapshot });
    for (const key of cardKeys) {
      const value = valueAt(snapshot.metrics, key);
      const card = panel.page.locator(`[data-metric="${key}"]`);
      assert.equal(await card.getAttribute('data-value'), String(value), key);
      const shown = /R@/.test(key) ? `${value.toFixed(1)}%` : value.toFixed(/median_rank/.test(key) ? 1 : /mean_rank/.test(key) ? 2 : 4);
      assert.equal(await card.locator('.card-value').textContent(), shown, key);
      const better = /R@/.test(key) ? '↑ higher is better' : '↓ lower is better';
      assert.equal(await card.locator('.card-better').textContent(), better, key);
    }
    assert.equal(await panel.page.locator('#title').textContent(), snapshot.title);
    assert.match((await panel.page.locator('#facts').textContent()) ?? '', /wasm.*1\.23 s/);
  });

  it('draws one scatter point per pair and modality, joined by one line per pair', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot({ pairs: 300, scatterTotal: 12000 });
    await panel.post({ type: 'snapshot', snapshot });
    const option = await panel.chartOption('scatter');
    const byName = (n: string) => option.series.find((s) => s.name === n);
    assert.equal(byName('image')?.data.length, 300);
    assert.equal(byName('text')?.data.length, 300);
    assert.equal(byName('pair')?.data.length, 300);
    assert.deepEqual(byName('image')?.data[5], snapshot.scatter.image.slice(10, 12));
    assert.match(option.xAxis[0].name, /PC1 \(41\.2% of variance\)/);
    assert.match(option.yAxis[0].name, /PC2 \(8\.7% of variance\)/);
    const note = await panel.page.locator('#scatter-note').textContent();
    assert.match(note ?? '', /Showing 300 of 12,000 pairs \(uniform random sample of 300 pairs \(seeded\)\)/);
  });

  it('histogram counts and reliability counts each sum to N', async () => {
    panel = await suite.open();
    const n = 250;
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ pairs: n }) });
    const sumOf = (s: ChartOptionShape['series'][number] | undefined, column: number) =>
      (s?.data as number[][]).reduce((acc, row) => acc + row[column], 0);
    const histogram = await panel.chartOption('histogram');
    assert.equal(histogram.series.length, 2);
    for (const s of histogram.series) assert.equal(sumOf(s, 2), n, s.name);
    const reliability = await panel.chartOption('reliability');
    assert.equal(sumOf(reliability.series.find((s) => s.name === 'accuracy'), 4), n);
    assert.match((await panel.page.locator('#ece-note').textContent()) ?? '', /^ECE \d\.\d{4} at τ = 0\.01/);
  });

  it('warns about non-unit input norms, and only then', async () => {
    panel = await suite.open();
    const warnings = panel.page.locator('#warnings');
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ unitNorms: true }) });
    assert.equal(await warnings.isVisible(), false);
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ unitNorms: false, warnings: ['skipped 3 rows with NaN'] }) });
    assert.equal(await warnings.isVisible(), true);
    assert.equal(await warnings.locator('li').count(), 2);
    assert.match((await warnings.textContent()) ?? '', /skipped 3 rows with NaN.*not unit vectors.*L2-normalised/);
  });

  it('shows safetensors metadata as a key/value table', async () => {
    panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ metadata: { model: 'ViT-B/16', '<b>': '<i>x</i>' } }) });
    const rows = panel.page.locator('#metadata table tr');
    assert.equal(await rows.count(), 2);
    assert.equal(await rows.nth(1).locator('th').textContent(), '<b>');
    assert.equal(await rows.nth(1).locator('td').textContent(), '<i>x</i>');
  });

  it('shows progress with a working Cancel, then an error as one line in #status', async () => {
    panel = await suite.open();
    await panel.post({ type: 'progress', fraction: 0.42, message: 'uniformity' });
    const status = panel.page.locator('#status');
    assert.match((await status.textContent()) ?? '', /uniformity.*42%/);
    assert.equal(await panel.page.locator('#progress-bar').isVisible(), true);
    await panel.page.locator('#cancel').click();
    assert.deepEqual((await panel.posted()).at(-1), { type: 'cancel' });

    await panel.post({ type: 'error', message: 'a.npy: expected a 2-D array\n    at readNpy (npy.ts:40)' });
    assert.equal(await status.textContent(), 'a.npy: expected a 2-D array at readNpy (npy.ts:40)');
    assert.equal(await panel.page.locator('#progress-bar').isVisible(), false);
    assert.equal(await panel.page.locator('#cancel').isVisible(), false);
    const box = await status.boundingBox();
    assert.ok(box && box.height < 30, `status is one line high (${box?.height}px)`);
  });

  it('Re-run and Export JSON post their messages', async () => {
    panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot() });
    await panel.page.locator('#rerun').click();
    await panel.page.locator('#export-json').click();
    assert.deepEqual((await panel.posted()).slice(-2), [{ type: 'rerun' }, { type: 'exportJson' }]);
  });

  it('recolours the charts when the theme changes', async () => {
    panel = await suite.open();
    // Everything optional present, so the screenshots show the whole panel.
    const metadata = { format: 'pt', model: 'ViT-B/16', dataset: 'COCO 2017 val, first 400 pairs' };
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ unitNorms: false, metadata, scatterTotal: 5000 }) });
    const colours = async () => {
      const s = (await panel!.chartOption('scatter')).series;
      const h = (await panel!.chartOption('histogram')).series;
      return [s[1].itemStyle?.color, s[2].itemStyle?.color, h[0].itemStyle?.color, h[1].itemStyle?.color];
    };
    const v = (t: TestTheme, name: string) => t.vars[`--vscode-charts-${name}`];
    assert.deepEqual(await colours(), [v(darkTheme, 'blue'), v(darkTheme, 'orange'), v(darkTheme, 'green'), v(darkTheme, 'red')]);
    await panel.page.screenshot({ path: path.join(resultsDir, 'webview-dark.png'), fullPage: true });
    await applyTheme(panel, lightTheme);
    assert.deepEqual(await colours(), [v(lightTheme, 'blue'), v(lightTheme, 'orange'), v(lightTheme, 'green'), v(lightTheme, 'red')]);
    await panel.page.screenshot({ path: path.join(resultsDir, 'webview-light.png'), fullPage: true });
  });

  it('re-renders the saved snapshot after a reload, before the host sends anything', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot({ seed: 99 });
    await panel.post({ type: 'snapshot', snapshot });
    await panel.page.reload();
    await panel.waitForReady();
    const card = panel.page.locator('[data-metric="i2t.R@1"]');
    assert.equal(await card.getAttribute('data-value'), String(snapshot.metrics.i2t['R@1']));
    assert.equal((await panel.chartOption('scatter')).series[1].data.length, snapshot.scatter.shown);
    assert.deepEqual(await panel.posted(), [{ type: 'ready' }]);
  });
});
