import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildCompareSnapshot } from '../../../../src/snapshots/compare/compareSnapshot';
import type { CompareSnapshot, CompareViewToHost } from '../../../../src/protocol/comparePanel';
import { compareNames as names, makeCompareData as makeData } from '../../../helpers/compareFixture';
import { PanelPage, panelSuite, resultsDir } from '../panelHarness';
import { darkTheme } from '../themeVars';

const chartOption = (panel: PanelPage, name: string) => panel.chartOption(name, 'embeddingLensCompareCharts');

const posted = async (panel: PanelPage) => (await panel.posted()) as unknown as CompareViewToHost[];

describe('compare webview (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme, 'compare');
  let panel: PanelPage | undefined;

  it('shows every value and its delta against the baseline, coloured by which way is better', async () => {
    panel = await suite.open();
    assert.deepEqual(await posted(panel), [{ type: 'ready' }]);
    const s: CompareSnapshot = buildCompareSnapshot(makeData(), 0);
    await panel.post({ type: 'snapshot', snapshot: s });
    for (const row of s.rows) {
      for (let i = 0; i < s.checkpoints.length; i++) {
        const cell = panel.page.locator(`tr[data-metric="${row.key}"] td[data-checkpoint="${i}"]`);
        assert.equal(await cell.getAttribute('data-value'), String(row.values[i]), `${row.key} #${i}`);
        assert.equal(await cell.getAttribute('data-delta'), String(row.deltas[i]), `${row.key} #${i}`);
        assert.equal(await cell.getAttribute('data-verdict'), row.verdicts[i], `${row.key} #${i}`);
      }
    }
    // R@1 of random-init is lower: a worse delta, in the theme's error colour, with a minus sign.
    const r1 = s.rows.find((r) => r.key === 'i2t.R@1')!;
    assert.equal(r1.verdicts[2], 'worse');
    const worse = panel.page.locator('tr[data-metric="i2t.R@1"] td[data-checkpoint="2"] .delta');
    assert.equal(await worse.textContent(), `−${Math.abs(r1.deltas[2]).toFixed(1)} pt`);
    // The theme's error and green colours with a third of the text colour mixed in, for contrast (main.css).
    const mixed = (base: string) =>
      panel!.page.evaluate(
        ([b, f]) => {
          const probe = document.body.appendChild(document.createElement('span'));
          probe.style.color = `color-mix(in srgb, ${b} 67%, ${f})`;
          const colour = getComputedStyle(probe).color;
          probe.remove();
          return colour;
        },
        [base, darkTheme.vars['--vscode-foreground']],
      );
    assert.equal(
      await worse.evaluate((e) => getComputedStyle(e).color),
      await mixed(darkTheme.vars['--vscode-errorForeground']),
    );
    const betterCell = panel.page.locator('td[data-verdict="better"] .delta').first();
    assert.equal(
      await betterCell.evaluate((e) => getComputedStyle(e).color),
      await mixed(darkTheme.vars['--vscode-charts-green']),
    );
    assert.equal(await panel.page.locator('#not-comparable').isHidden(), true);
  });

  it('draws one labelled point per checkpoint on the uniformity–alignment plane, the R@K bars and the histograms', async () => {
    panel = await suite.open();
    const s = buildCompareSnapshot(makeData(), 1);
    await panel.post({ type: 'snapshot', snapshot: s });
    const plane = await chartOption(panel, 'plane');
    assert.deepEqual(
      plane.series.map((x) => [x.name, x.data]),
      s.checkpoints.map((c) => [c.name, [[c.result.alignment, c.result.uniformity]]]),
    );
    assert.match(plane.xAxis[0].name, /alignment/);
    assert.match(plane.yAxis[0].name, /uniformity/);
    const recall = await chartOption(panel, 'recall');
    assert.deepEqual(
      recall.series.map((x) => x.data),
      s.checkpoints.map((c) => [
        c.result.i2t['R@1'],
        c.result.i2t['R@5'],
        c.result.i2t['R@10'],
        c.result.t2i['R@1'],
        c.result.t2i['R@5'],
        c.result.t2i['R@10'],
      ]),
    );
    const hist = await chartOption(panel, 'histograms');
    assert.equal(hist.series.length, 2 * s.checkpoints.length);
    assert.deepEqual(
      (hist.series[2].data as number[][]).map((d) => d[1]),
      s.histograms.positive[1],
    );
    assert.deepEqual(
      (hist.series[5].data as number[][]).map((d) => d[1]),
      s.histograms.hardestNegative[2],
    );
  });

  it('asks the host for another baseline, sorts the rank changes, exports a PNG; screenshot', async () => {
    panel = await suite.open();
    const s = buildCompareSnapshot(makeData(), 0);
    await panel.post({ type: 'snapshot', snapshot: s });
    await panel.page.waitForTimeout(300);
    await panel.page.screenshot({ path: path.join(resultsDir, 'compare.png'), fullPage: true });
    await panel.page.selectOption('#baseline', '2');
    assert.deepEqual((await posted(panel)).at(-1), { type: 'setBaseline', baseline: 2 });

    const rows = panel.page.locator('#ranks tbody tr');
    assert.equal(await rows.count(), s.rankChanges!.i2t.rows.length);
    const changes = async () =>
      (await panel!.page.locator('#ranks tbody td[data-change]:nth-last-child(2)').allTextContents()).map((t) =>
        Number(t.replace('−', '-').replace('±', '')),
      );
    const first = await changes();
    assert.deepEqual(
      first,
      [...first].sort((a, b) => a - b),
      'biggest gains first',
    );
    assert.ok(first[0] < 0 && first.at(-1)! > 0);
    await panel.page.locator('#ranks th', { hasText: `Δ ${names[1]}` }).click();
    const flipped = await changes();
    assert.deepEqual(
      flipped,
      [...first].sort((a, b) => b - a),
    );
    assert.equal(await panel.page.locator('#ranks tbody tr').first().locator('td.caption').count(), 1);

    await panel.page.locator('#export-png-plane').click();
    const png = (await posted(panel)).at(-1) as Extract<CompareViewToHost, { type: 'exportImage' }>;
    assert.deepEqual([png.type, png.chart, png.format], ['exportImage', 'plane', 'png']);
    assert.match(png.data, /^data:image\/png;base64,[A-Za-z0-9+/]{1000,}/);
    for (const chart of ['plane', 'histograms', 'recall']) {
      await panel.page.locator(`#export-svg-${chart}`).click();
      const svg = (await posted(panel)).at(-1) as Extract<CompareViewToHost, { type: 'exportImage' }>;
      assert.deepEqual([svg.type, svg.chart, svg.format], ['exportImage', chart, 'svg']);
      // A whole document with drawn content, not an empty frame.
      assert.match(svg.data, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<path[\s\S]*<\/svg>$/);
    }
    // What the export commands do: the host asks for a chart by name and the view answers with the request id.
    await panel.post({ type: 'exportChart', request: 7, chart: 'recall', format: 'svg' });
    const answer = (await posted(panel)).at(-1) as Extract<CompareViewToHost, { type: 'exportImage' }>;
    assert.deepEqual([answer.type, answer.chart, answer.format, answer.request], ['exportImage', 'recall', 'svg', 7]);
    assert.match(answer.data, /^<svg[\s\S]*<path[\s\S]*<\/svg>$/);
    await panel.page.locator('#export-csv').click();
    assert.deepEqual((await posted(panel)).at(-1), { type: 'exportMetrics', format: 'csv' });
  });

  it('explains what is not comparable instead of a per-pair table when the pairs differ', async () => {
    panel = await suite.open();
    const s = buildCompareSnapshot(makeData(300, false), 0);
    await panel.post({ type: 'snapshot', snapshot: s });
    assert.equal(await panel.page.locator('#rank-changes').isHidden(), true);
    assert.match(
      (await panel.page.locator('#not-comparable').textContent()) ?? '',
      /different numbers of pairs.*per-pair rank changes are unavailable/,
    );
    assert.equal(await panel.page.locator('tr[data-metric="alignment"] td').count(), 3);
  });

  it('re-renders the last snapshot after a reload (hidden and shown) before the host answers', async () => {
    panel = await suite.open();
    const s = buildCompareSnapshot(makeData(), 0);
    await panel.post({ type: 'snapshot', snapshot: s });
    await panel.page.reload();
    await panel.waitForReady();
    assert.equal(await panel.page.locator('#results').isVisible(), true);
    assert.equal(
      await panel.page.locator('tr[data-metric="alignment"] td[data-checkpoint="1"]').getAttribute('data-value'),
      String(s.rows.find((r) => r.key === 'alignment')!.values[1]),
    );
  });
});
