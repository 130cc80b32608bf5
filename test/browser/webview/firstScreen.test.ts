import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildCompareSnapshot } from '../../../src/snapshots/compare/compareSnapshot';
import { metricInfo, metricInfos, metricValue } from '../../../src/protocol/metricInfo';
import type { PinnedBaseline } from '../../../src/protocol/analysisPanel';
import { PanelPage, panelSuite, resultsDir } from './panelHarness';
import { makeSnapshot } from '../../helpers/snapshotFixture';
import { darkTheme } from './themeVars';
import { makeCompareData } from '../../helpers/compareFixture';

/** The webview area of a maximised 1366 × 768 VS Code window: activity bar, side bar closed, tabs, breadcrumbs and status bar taken off. */
const laptop = { width: 1000, height: 640 };
/** The panel dragged into a side panel. */
const sidePanel = { width: 600, height: 900 };

const firstScreenCharts = ['sphere', 'scatter', 'histogram'];

async function chartBoxes(panel: PanelPage) {
  const boxes = [];
  for (const name of firstScreenCharts) {
    const box = await panel.page.locator(`[data-chart="${name}"]`).boundingBox();
    assert.ok(box, name);
    boxes.push({ name, ...box });
  }
  return boxes;
}

const hasHorizontalScroll = (panel: PanelPage) =>
  panel.page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

describe('analysis panel first screen (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme);

  it('shows the overview (with changes against a pinned baseline) and the sphere, scatter and histogram without scrolling at 1366 × 768', async () => {
    const panel = await suite.open(laptop);
    // A pinned baseline adds each metric's change: the tallest the overview gets.
    const values = Object.fromEntries(
      metricInfos.map((m) => [m.key, metricValue(makeSnapshot({ seed: 3 }).metrics, m.key)]),
    );
    await panel.post({
      type: 'snapshot',
      snapshot: { ...makeSnapshot(), baseline: { title: 'epoch-0.npz', files: ['/w/epoch-0.npz'], values } },
    });
    await panel.page.screenshot({ path: path.join(resultsDir, 'first-screen-1000x640.png') });
    for (const b of await chartBoxes(panel)) {
      assert.ok(
        b.x >= 0 && b.y >= 0 && b.x + b.width <= laptop.width && b.y + b.height <= laptop.height,
        `${b.name} at ${JSON.stringify(b)} lies within ${laptop.width} × ${laptop.height}`,
      );
      assert.ok(b.width >= 250 && b.height >= 240, `${b.name} is big enough to read (${b.width} × ${b.height})`);
    }
    const tiles = await panel.page
      .locator('#cards [data-metric]')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().bottom));
    assert.equal(tiles.length, 18);
    assert.ok(Math.max(...tiles) <= laptop.height, 'every metric of the overview is on the first screen');
    assert.equal(await hasHorizontalScroll(panel), false);
  });

  it('reflows into a 600 px side panel: no horizontal scroll, the charts stacked', async () => {
    const panel = await suite.open(sidePanel);
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ metadata: { model: 'ViT-B/16' } }) });
    assert.equal(await hasHorizontalScroll(panel), false);
    const boxes = await chartBoxes(panel);
    for (const [i, b] of boxes.entries()) {
      assert.ok(b.x + b.width <= sidePanel.width, `${b.name} fits the width`);
      if (i > 0) assert.ok(b.y >= boxes[i - 1].y + boxes[i - 1].height, `${b.name} is below ${boxes[i - 1].name}`);
    }
    await panel.page.screenshot({ path: path.join(resultsDir, 'first-screen-600.png'), fullPage: true });
  });

  it('collapses a section from its heading and remembers it across a reload; opening it redraws its charts', async () => {
    const panel = await suite.open(laptop);
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot() });
    const toggle = panel.page.locator('#geometry-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await toggle.getAttribute('aria-controls'), 'geometry-body');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await panel.page.locator('#geometry-body').isHidden(), true);

    await panel.page.reload();
    await panel.waitForReady();
    assert.equal(await panel.page.locator('#geometry-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await panel.page.locator('#geometry-body').isHidden(), true);
    // The calibration charts move up into the first screen.
    assert.ok(((await panel.page.locator('[data-chart="reliability"]').boundingBox())?.y ?? Infinity) < laptop.height);

    await panel.page.locator('#geometry-toggle').press('Enter');
    assert.equal(await panel.page.locator('#geometry-toggle').getAttribute('aria-expanded'), 'true');
    const width = await panel.page.evaluate(() =>
      (
        window as unknown as { embeddingLensCharts: Record<string, { getWidth(): number }> }
      ).embeddingLensCharts.scatter.getWidth(),
    );
    assert.ok(width > 200, `the scatter was fitted to its opened section (${width}px)`);
  });

  it('explains each metric on hover and for screen readers, and all of them behind the Explain toggle', async () => {
    const panel = await suite.open(laptop);
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot() });
    const card = panel.page.locator('[data-metric="modality_gap"]');
    const explanation = panel.page.locator('#explain-modality_gap');
    assert.equal(await card.getAttribute('aria-describedby'), 'explain-modality_gap');
    assert.match(
      (await card.getAttribute('title')) ?? '',
      /^Modality gap: Distance between the mean image and the mean text embedding/,
    );
    assert.match((await explanation.textContent()) ?? '', /Distance between the mean image/);
    assert.equal(await explanation.isVisible(), false);
    const explain = panel.page.locator('#explain');
    await explain.click();
    assert.equal(await explain.getAttribute('aria-pressed'), 'true');
    assert.equal(await panel.page.locator('.card-explain:visible').count(), 18);
    await panel.page.screenshot({ path: path.join(resultsDir, 'first-screen-explained.png') });
    await explain.click();
    assert.equal(await explanation.isVisible(), false);
  });

  it('pins a checkpoint as the baseline and shows every change against it, coloured by which way is better', async () => {
    const panel = await suite.open(laptop);
    const snapshot = makeSnapshot({ seed: 5 });
    await panel.post({ type: 'snapshot', snapshot });
    assert.equal((await panel.page.locator('#pin-baseline').textContent())?.trim(), 'Pin as baseline');
    await panel.page.locator('#pin-baseline').click();
    assert.deepEqual((await panel.posted()).at(-1), { type: 'pinBaseline' });

    const other = makeSnapshot({ seed: 6 });
    const keys = ['modality_gap', 'alignment', 'i2t.R@1', 't2i.mean_rank', 'ece'];
    const pick = (m: typeof snapshot.metrics, key: string) =>
      key.includes('.') ? (m[key.split('.')[0] as 'i2t'][key.split('.')[1]] as number) : (m[key as 'ece'] as number);
    const baseline: PinnedBaseline = {
      title: 'epoch-0.npz',
      files: ['/w/epoch-0.npz'],
      values: Object.fromEntries(keys.map((k) => [k, pick(snapshot.metrics, k)])),
    };
    await panel.post({ type: 'snapshot', snapshot: { ...other, baseline } });
    for (const key of keys) {
      const d = pick(other.metrics, key) - pick(snapshot.metrics, key);
      const delta = panel.page.locator(`[data-metric="${key}"] .card-delta`);
      assert.equal(Number(await panel.page.locator(`[data-metric="${key}"]`).getAttribute('data-delta')), d, key);
      const better = metricInfo(key).better === 'lower' ? d < 0 : d > 0;
      assert.match((await delta.getAttribute('class')) ?? '', d === 0 ? /same/ : better ? /better/ : /worse/, key);
      assert.match((await delta.textContent()) ?? '', d === 0 ? /±0/ : d < 0 ? /^−/ : /^\+/, key);
    }
    assert.equal(
      await panel.page.locator('[data-metric="uniformity"] .card-delta').count(),
      0,
      'no change shown for a metric the baseline lacks',
    );
    assert.match(
      (await panel.page.locator('#baseline-note').textContent()) ?? '',
      /against the pinned baseline epoch-0\.npz/,
    );
    await panel.page.screenshot({ path: path.join(resultsDir, 'first-screen-baseline.png') });

    // The pinned checkpoint itself offers to unpin.
    await panel.post({ type: 'snapshot', snapshot: { ...other, baseline: { ...baseline, files: other.files } } });
    assert.equal((await panel.page.locator('#pin-baseline').textContent())?.trim(), 'Unpin baseline');
    await panel.page.locator('#pin-baseline').click();
    assert.deepEqual((await panel.posted()).at(-1), { type: 'unpinBaseline' });
  });
});

describe('compare view sections (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme, 'compare');

  it('opens on the metrics table; its sections collapse and stay collapsed across a reload', async () => {
    const panel = await suite.open(laptop);
    await panel.post({ type: 'snapshot', snapshot: buildCompareSnapshot(makeCompareData(), 0) });
    const metricsBox = await panel.page.locator('#metrics').boundingBox();
    assert.ok(metricsBox && metricsBox.y < laptop.height / 2, 'the table comes first');
    await panel.page.locator('#charts-section-toggle').click();
    // A later snapshot (another baseline chosen) keeps it collapsed.
    await panel.post({ type: 'snapshot', snapshot: buildCompareSnapshot(makeCompareData(), 1) });
    await panel.page.reload();
    await panel.waitForReady();
    assert.equal(await panel.page.locator('#charts-section-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await panel.page.locator('[data-chart="plane"]').isHidden(), true);
    assert.equal(await panel.page.locator('#rank-changes-toggle').getAttribute('aria-expanded'), 'true');
    await panel.page.locator('#charts-section-toggle').click();
    const width = await panel.page.evaluate(() =>
      (
        window as unknown as { embeddingLensCompareCharts: Record<string, { getWidth(): number }> }
      ).embeddingLensCompareCharts.plane.getWidth(),
    );
    assert.ok(width > 200, `the plane was fitted to its opened section (${width}px)`);
  });
});
