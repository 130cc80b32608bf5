import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { logitOfPercent } from '../../../../src/core/classification/robustness';
import { buildCompareSnapshot, buildSuiteCompareSnapshot } from '../../../../src/snapshots/compare/compareSnapshot';
import { compareDataOf } from '../../../../src/snapshots/compare/compareData';
import type { CompareViewToHost } from '../../../../src/protocol/comparePanel';
import { PanelPage, panelSuite, resultsDir } from '../panelHarness';
import { makeSnapshot } from '../../../helpers/snapshotFixture';
import { darkTheme } from '../themeVars';
import { makeSuiteCompareData, suiteCheckpointNames } from '../../../helpers/zeroShotFixture';

type RobustnessOption = {
  series: { type: string; name: string; data: number[][]; symbol?: string }[];
  xAxis: { name: string; min: number; max: number; axisLabel: { customValues: number[] } }[];
  yAxis: { name: string; min: number; max: number; axisLabel: { customValues: number[] } }[];
};

const posted = async (panel: PanelPage) => (await panel.posted()) as unknown as CompareViewToHost[];

describe('compare webview on suites: the robustness plot (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme, 'compare');
  let panel: PanelPage | undefined;

  it('draws each checkpoint at (logit ID top-1, logit ood_mean) with the y = x line, and the suite table', async () => {
    panel = await suite.open();
    const data = makeSuiteCompareData();
    const s = buildSuiteCompareSnapshot(data, 0);
    await panel.post({ type: 'snapshot', snapshot: s });
    const option = await panel.chartOption<RobustnessOption>('robustness', 'embeddingLensCompareCharts');

    const diagonal = option.series.find((x) => x.name === 'y = x')!;
    assert.equal(diagonal.type, 'line');
    for (const [x, y] of diagonal.data) assert.equal(x, y);
    const [x, y] = [option.xAxis[0], option.yAxis[0]];
    assert.deepEqual([x.min, x.max], [y.min, y.max], 'one scale on both axes: y = x at 45°');
    assert.deepEqual(
      diagonal.data,
      [
        [x.min, x.min],
        [x.max, x.max],
      ],
      'corner to corner',
    );
    assert.match(x.name, /in-distribution top-1.*logit/);
    assert.match(y.name, /under shift.*logit/);

    const points = option.series.filter((p) => p.type === 'scatter');
    assert.deepEqual(
      points.map((p) => p.name),
      suiteCheckpointNames,
    );
    data.suites.forEach((c, i) => {
      assert.deepEqual(points[i].data, [
        [logitOfPercent(c.suite.inDistribution.result.top1), logitOfPercent(c.suite.ood_mean)],
      ]);
      assert.ok(points[i].data[0][1] < points[i].data[0][0], `${c.name}: accuracy drops under shift, so below y = x`);
    });
    assert.equal(points[0].symbol, 'diamond', 'the baseline');
    // Ticks sit at accuracies inside the extent, labelled in percent.
    assert.ok(x.axisLabel.customValues.length >= 3);
    for (const t of x.axisLabel.customValues) assert.ok(t >= x.min && t <= x.max);
    const labels = await panel.page.locator('[data-chart="robustness"]').evaluate(() => {
      const chart = (window as unknown as { embeddingLensCompareCharts: { robustness: { getModel(): unknown } } })
        .embeddingLensCompareCharts.robustness;
      const axis = (
        chart.getModel() as { getComponent(t: string): { axis: { getViewLabels(): { formattedLabel: string }[] } } }
      ).getComponent('xAxis').axis;
      return axis.getViewLabels().map((l) => l.formattedLabel);
    });
    assert.ok(labels.length >= 3 && labels.every((l) => /^\d+(\.\d)?%$/.test(l)), labels.join(' '));

    // The retrieval charts and per-query ranks have nothing to show for suites.
    for (const chart of ['plane', 'histograms', 'recall'])
      assert.equal(await panel.page.locator(`[data-chart="${chart}"]`).isHidden(), true, chart);
    assert.equal(await panel.page.locator('#rank-changes').isHidden(), true);

    const ood = s.rows.find((r) => r.key === 'ood_mean')!;
    for (let i = 0; i < 3; i++) {
      const cell = panel.page.locator(`tr[data-metric="ood_mean"] td[data-checkpoint="${i}"]`);
      assert.equal(await cell.getAttribute('data-value'), String(ood.values[i]));
      assert.equal(await cell.getAttribute('data-verdict'), ood.verdicts[i]);
    }
    assert.deepEqual(
      s.rows.map((r) => r.key),
      [
        'in_distribution.top1',
        'in_distribution.top5',
        'in_distribution.ece',
        'shifted.sketch.top1',
        'shifted.blur.top1',
        'ood_mean',
      ],
    );
    assert.equal(await panel.page.locator('#metrics tbody tr').count(), s.rows.length);
    await panel.page.waitForTimeout(200);
    await panel.page.screenshot({ path: path.join(resultsDir, 'robustness.png'), fullPage: true });

    for (const format of ['png', 'svg'] as const) {
      await panel.page.locator(`#export-${format}-robustness`).click();
      const m = (await posted(panel)).at(-1) as Extract<CompareViewToHost, { type: 'exportImage' }>;
      assert.deepEqual([m.type, m.chart, m.format], ['exportImage', 'robustness', format]);
      assert.ok(m.data.length > 3000, `robustness.${format} has content`);
    }
    await panel.page.locator('#export-csv').click();
    assert.deepEqual((await posted(panel)).at(-1), { type: 'exportMetrics', format: 'csv' });
  });

  it('keeps the suites across a reload, and goes back to the retrieval charts for a snapshot of checkpoints', async () => {
    panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: buildSuiteCompareSnapshot(makeSuiteCompareData(), 1) });
    await panel.page.reload();
    await panel.waitForReady();
    assert.equal(
      await panel.page.locator('[data-chart="robustness"]').isVisible(),
      true,
      'restored from the saved state',
    );
    assert.equal(await panel.page.locator('#baseline').inputValue(), '1');

    const sims = Float32Array.from({ length: 50 }, (_, i) => 0.2 + i / 500);
    const checkpoint = (name: string, seed: number) => {
      const result = makeSnapshot({ pairs: 50, seed }).metrics;
      const ranks = Int32Array.from({ length: 50 }, (_, q) => q % 7);
      return {
        name,
        files: [`/workspace/${name}`],
        result,
        seconds: 1,
        warnings: [],
        ranksI2T: ranks,
        ranksT2I: ranks,
        positive: sims,
        hardestNegative: sims,
      };
    };
    const data = compareDataOf([checkpoint('a.npy', 1), checkpoint('b.npy', 2)], 'wasm', 1);
    await panel.post({ type: 'snapshot', snapshot: buildCompareSnapshot(data, 0) });
    assert.equal(await panel.page.locator('[data-chart="robustness"]').isHidden(), true);
    for (const chart of ['plane', 'histograms', 'recall'])
      assert.equal(await panel.page.locator(`[data-chart="${chart}"]`).isVisible(), true, chart);
    assert.equal((await panel.chartOption('plane', 'embeddingLensCompareCharts')).series.length, 2);
  });
});
