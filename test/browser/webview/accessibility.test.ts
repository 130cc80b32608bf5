import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCompareSnapshot } from '../../../src/snapshots/compare/compareSnapshot';
import { metricInfos, metricValue } from '../../../src/protocol/metricInfo';
import { makeCompareData } from '../../helpers/compareFixture';
import { checkContrastInEveryTheme as checkEveryTheme } from './contrast';
import { PanelPage, panelSuite } from './panelHarness';
import { makeSnapshot } from '../../helpers/snapshotFixture';
import { darkTheme } from './themeVars';
import { makeClassificationSnapshot } from '../../helpers/zeroShotFixture';

/** Everything Tab reaches, in order, once round the page (shadow roots' hosts stand for their insides). */
async function tabStops(panel: PanelPage, limit = 80): Promise<{ id: string; tag: string; outline: string }[]> {
  const stops: { id: string; tag: string; outline: string }[] = [];
  for (let i = 0; i < limit; i++) {
    await panel.page.keyboard.press('Tab');
    const stop = await panel.page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      if (!a || a === document.body) return undefined;
      const s = getComputedStyle(a);
      return {
        id: a.id || a.textContent?.trim().slice(0, 30) || a.tagName,
        tag: a.tagName.toLowerCase(),
        outline: `${s.outlineStyle} ${s.outlineColor}`,
      };
    });
    if (!stop || (stops.length > 0 && stop.id === stops[0].id && stop.tag === stops[0].tag)) break;
    stops.push(stop);
  }
  return stops;
}

describe('accessibility of the analysis panel (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme);

  it('gives every chart a text alternative: role img, a summary as its label and description, its data as a table behind a keyboard disclosure', async () => {
    const panel = await suite.open();
    const snapshot = makeSnapshot();
    await panel.post({ type: 'snapshot', snapshot });
    for (const name of ['sphere', 'scatter', 'histogram', 'reliability', 'calibration']) {
      const chart = panel.page.locator(`[data-chart="${name}"]`);
      assert.equal(await chart.getAttribute('role'), 'img', name);
      const label = (await chart.getAttribute('aria-label')) ?? '';
      assert.equal(await chart.getAttribute('aria-describedby'), `${name}-summary`);
      assert.equal((await panel.page.locator(`#${name}-summary`).textContent()) ?? '', label, name);
      assert.match(label, /: \d[\d,]* (points|values)/, `${name}: ${label}`);
    }
    assert.match(
      (await panel.page.locator('[data-chart="scatter"]').getAttribute('aria-label')) ?? '',
      /image: 400 points, PC1 .* to .*, PC2 .* to .*; text: 400 points/,
    );

    // The histogram's data: one row per bin of each series, each bin's range and count as drawn.
    const disclosure = panel.page.locator('#histogram-data summary');
    await disclosure.focus();
    await panel.page.keyboard.press('Enter');
    const rows = panel.page.locator('#histogram-data tbody tr');
    const bins = snapshot.histogram.positive.length;
    assert.equal(await rows.count(), 2 * bins);
    const first = await rows.first().locator('th, td').allTextContents();
    assert.deepEqual(first, [
      'positive pair',
      `${snapshot.histogram.edges[0].toPrecision(3)} – ${snapshot.histogram.edges[1].toPrecision(3)}`,
      String(snapshot.histogram.positive[0]),
    ]);
  });

  it('reaches every control by Tab, each with a visible focus outline in the theme’s focusBorder colour', async () => {
    const panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot() });
    const stops = await tabStops(panel);
    const ids = stops.map((s) => s.id);
    for (const id of [
      'rerun',
      'export-json',
      'export-csv',
      'explain',
      'overview-toggle',
      'pin-baseline',
      'geometry-toggle',
      'sphere-layout',
      'export-png-sphere',
      'export-svg-scatter',
      'calibration-charts-toggle',
    ])
      assert.ok(ids.includes(id), `${id} is reached by Tab (${ids.join(', ')})`);
    assert.ok(stops.filter((s) => s.tag === 'summary').length >= 5, 'each chart’s data disclosure is reached');
    // vscode-button draws its own focus ring from focusBorder inside its shadow root.
    const focusBorder = 'rgb(0, 120, 212)';
    for (const s of stops.filter((x) => !x.tag.startsWith('vscode-')))
      assert.equal(s.outline, `solid ${focusBorder}`, `${s.tag}#${s.id}`);
  });

  it('passes WCAG AA text contrast in the dark, light and high-contrast themes (explanations shown, a baseline pinned)', async () => {
    const panel = await suite.open({ width: 1000, height: 640 });
    const values = Object.fromEntries(
      metricInfos.map((m) => [m.key, metricValue(makeSnapshot({ seed: 3 }).metrics, m.key)]),
    );
    const metadata = { model: 'ViT-B/16' };
    await panel.post({
      type: 'snapshot',
      snapshot: {
        ...makeSnapshot({ unitNorms: false, metadata }),
        baseline: { title: 'epoch-0.npz', files: ['/w/epoch-0.npz'], values },
      },
    });
    await panel.page.locator('#explain').click();
    await panel.page.locator('#histogram-data summary').click();
    await checkEveryTheme(panel, 'analysis');
  });

  it('passes contrast for a classification set and its tables in every theme', async () => {
    const panel = await suite.open();
    await panel.post({
      type: 'snapshot',
      snapshot: JSON.parse(JSON.stringify(makeClassificationSnapshot({ empty: [7] }))),
    });
    await checkEveryTheme(panel, 'zero-shot');
  });
});

describe('accessibility of the compare view (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme, 'compare');

  it('gives its charts text alternatives and passes contrast in every theme', async () => {
    const panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: buildCompareSnapshot(makeCompareData(), 0) });
    const label = (await panel.page.locator('[data-chart="plane"]').getAttribute('aria-label')) ?? '';
    assert.match(label, /uniformity/i);
    assert.ok((await panel.page.locator('#plane-data tbody tr').count()) >= 3, 'one row per checkpoint');
    await checkEveryTheme(panel, 'compare');
  });
});
