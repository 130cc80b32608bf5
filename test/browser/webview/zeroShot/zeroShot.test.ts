import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { PanelSnapshot } from '../../../../src/protocol/analysisPanel';
import { PanelPage, panelSuite, resultsDir, type ChartOptionShape } from '../panelHarness';
import { makeSnapshot } from '../../../helpers/snapshotFixture';
import { darkTheme } from '../themeVars';
import {
  classNameOf,
  makeClassificationSnapshot,
  makeSuiteSnapshot,
  makeZeroShot,
} from '../../../helpers/zeroShotFixture';

const texts = (panel: PanelPage, selector: string) => panel.page.locator(selector).allTextContents();

describe('zero-shot classification in the analysis panel (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme);
  let panel: PanelPage | undefined;

  it('renders a classification set: cards, reliability, worst classes, per-class table and confused pairs, no retrieval parts', async () => {
    panel = await suite.open();
    const snapshot = makeClassificationSnapshot({ empty: [7] });
    const z = snapshot.zeroShot;
    await panel.post({ type: 'snapshot', snapshot: snapshot });

    assert.equal(await panel.page.locator('#retrieval').isHidden(), true);
    assert.equal(await panel.page.locator('#zero-shot').isVisible(), true);
    for (const [key, shown, better] of [
      ['top1', `${z.result.top1.toFixed(1)}%`, '↑ higher is better'],
      ['top5', `${z.result.top5.toFixed(1)}%`, '↑ higher is better'],
      ['balanced', `${z.result.balanced.toFixed(1)}%`, '↑ higher is better'],
      ['ece', z.result.ece.toFixed(4), '↓ lower is better'],
    ]) {
      const card = panel.page.locator(`[data-metric="zero_shot.${key}"]`);
      assert.equal(await card.locator('.card-value').textContent(), shown, key);
      assert.equal(await card.locator('.card-better').textContent(), better, key);
    }
    assert.match((await panel.page.locator('#facts').textContent()) ?? '', /2,000 images, 40 classes/);

    const reliability = await panel.chartOption('zeroShotReliability');
    const counted = (reliability.series.find((s) => s.name === 'accuracy')?.data as number[][]).reduce(
      (n, row) => n + row[4],
      0,
    );
    assert.equal(counted, z.result.n, 'every image in one bin');

    const worst = await panel.chartOption<ChartOptionShape & { yAxis: { data: string[] }[] }>('worstClasses');
    const bars = worst.series[0].data as number[];
    assert.equal(bars.length, 20);
    assert.deepEqual(
      bars,
      [...bars].sort((a, b) => a - b),
      'worst first',
    );
    const finite = z.result.per_class.filter((a) => Number.isFinite(a)).sort((a, b) => a - b);
    assert.equal(bars[0], finite[0]);
    assert.ok(!worst.yAxis[0].data.includes(classNameOf(7)), 'a class without images is not among the worst');

    const rows = panel.page.locator('#class-table tbody tr');
    assert.equal(await rows.count(), 40);
    assert.equal(await rows.nth(7).locator('td').nth(3).textContent(), '—', 'no images, no accuracy');
    // Class names are data: markup in one shows as text.
    assert.equal(await rows.nth(3).locator('td.name').textContent(), '<b>lion</b>');
    assert.equal(await panel.page.locator('#class-table b').count(), 0);

    const confused = panel.page.locator('#confused-table tbody tr');
    assert.equal(await confused.count(), z.result.confused.length);
    const [t, p, n] = z.result.confused[0];
    assert.deepEqual(await confused.first().locator('td').allTextContents(), [
      classNameOf(t),
      '→',
      classNameOf(p),
      String(n),
      `${((100 * n) / z.detail.perClassCount[t]).toFixed(1)}%`,
    ]);
    await panel.page.screenshot({ path: path.join(resultsDir, 'zero-shot.png'), fullPage: true });
  });

  it('sorts the per-class table by any column, by mouse and keyboard, and filters it by name or number', async () => {
    panel = await suite.open();
    const snapshot = makeClassificationSnapshot({ empty: [7] });
    await panel.post({ type: 'snapshot', snapshot: snapshot });
    const accuracies = async () =>
      await panel!.page
        .locator('#class-table tbody td[data-accuracy]')
        .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-accuracy'))));
    const header = (column: string) => panel!.page.locator(`#class-table th:has(button[data-column="${column}"])`);

    await panel.page.locator('button[data-column="accuracy"]').click();
    const ascending = await accuracies();
    assert.equal(await header('accuracy').getAttribute('aria-sort'), 'ascending');
    assert.ok(Number.isNaN(ascending.at(-1)!), 'the class without images last');
    const known = ascending.slice(0, -1);
    assert.deepEqual(
      known,
      [...known].sort((a, b) => a - b),
    );

    // Keyboard: the focus stays on the heading's button, Enter flips the order.
    assert.equal(await panel.page.evaluate(() => (document.activeElement as HTMLElement).dataset.column), 'accuracy');
    await panel.page.keyboard.press('Enter');
    const descending = await accuracies();
    assert.equal(await header('accuracy').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(
      descending.slice(0, -1),
      [...known].sort((a, b) => b - a),
    );
    assert.ok(Number.isNaN(descending.at(-1)!), 'still last');

    await panel.page.keyboard.press('Shift+Tab');
    await panel.page.keyboard.press('Space');
    assert.equal(await header('images').getAttribute('aria-sort'), 'ascending');
    const images = (await texts(panel, '#class-table tbody tr td:nth-child(3)')).map((x) =>
      Number(x.replace(/,/g, '')),
    );
    assert.deepEqual(
      images,
      [...images].sort((a, b) => a - b),
    );
    assert.equal(await header('accuracy').getAttribute('aria-sort'), 'none');

    await panel.page.locator('button[data-column="name"]').click();
    const names = await texts(panel, '#class-table tbody td.name');
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b)),
    );

    await panel.page.locator('#class-search').fill('DOG');
    const dogs = await texts(panel, '#class-table tbody td.name');
    assert.deepEqual(dogs, ['dog 0', 'dog 1', 'dog 2', 'dog 3']);
    assert.equal(await panel.page.locator('#class-count').textContent(), '4 of 40 classes');
    await panel.page.locator('#class-search').fill('12');
    assert.deepEqual(
      await texts(panel, '#class-table tbody tr td:first-child'),
      ['12'],
      'a number matches that class only',
    );
    await panel.page.locator('#class-search').fill('');
    assert.equal(await panel.page.locator('#class-table tbody tr').count(), 40);

    // A re-run's snapshot keeps the sort the user chose.
    await panel.post({ type: 'snapshot', snapshot: snapshot });
    assert.deepEqual(await texts(panel, '#class-table tbody td.name'), names);
  });

  it('shows both sections for a file with pairs and classes, and exports every chart it draws', async () => {
    panel = await suite.open();
    const snapshot: PanelSnapshot = { ...makeSnapshot(), zeroShot: makeZeroShot({ named: false, classes: 12 }) };
    await panel.post({ type: 'snapshot', snapshot: snapshot });
    assert.equal(await panel.page.locator('#retrieval').isVisible(), true);
    assert.equal(await panel.page.locator('#zero-shot').isVisible(), true);
    assert.equal(await panel.page.locator('[data-metric="i2t.R@1"]').count(), 1);
    assert.equal(await panel.page.locator('[data-metric="zero_shot.top1"]').count(), 1);
    // Unnamed classes go by number.
    assert.equal(await panel.page.locator('#class-table tbody tr').first().locator('td.name').textContent(), 'class 0');
    assert.equal((await panel.chartOption<{ yAxis: { data: string[] }[] }>('worstClasses')).yAxis[0].data.length, 12);
    for (const name of [
      'scatter',
      'sphere',
      'histogram',
      'reliability',
      'calibration',
      'zeroShotReliability',
      'worstClasses',
    ]) {
      for (const format of ['png', 'svg'] as const) {
        await panel.page.locator(`#export-${format}-${name}`).click();
        const m = (await panel.posted()).at(-1);
        assert.ok(m?.type === 'exportImage' && m.chart === name && m.format === format, `${name} ${format}`);
        assert.match(m.data, format === 'png' ? /^data:image\/png;base64,/ : /^<svg[\s\S]*<\/svg>$/);
        assert.ok(m.data.length > 5000, `${name}.${format} has content`);
      }
    }
    await panel.post({ type: 'exportChart', request: 7, chart: 'worstClasses', format: 'svg' });
    const answer = (await panel.posted()).at(-1);
    assert.ok(answer?.type === 'exportImage' && answer.request === 7 && answer.data.startsWith('<svg'));
    await panel.page.screenshot({ path: path.join(resultsDir, 'pairs-and-classes.png'), fullPage: true });
  });

  it('shows a suite: each set with its top-1, top-5 and ECE, ood_mean, and the in-distribution set in full', async () => {
    panel = await suite.open();
    const snapshot = makeSuiteSnapshot();
    const s = snapshot.suite;
    await panel.post({ type: 'snapshot', snapshot: snapshot });
    assert.equal(await panel.page.locator('#retrieval').isHidden(), true);
    assert.equal(await panel.page.locator('#suite-title').textContent(), 'Suite: animals');
    const rows = panel.page.locator('#suite-table tbody tr');
    assert.equal(await rows.count(), 1 + s.shifted.length);
    for (const [k, set] of [s.inDistribution, ...s.shifted].entries()) {
      const cells = await rows.nth(k).locator('th, td').allTextContents();
      assert.deepEqual(cells, [
        set.name,
        k ? 'shifted' : 'in-distribution',
        set.result.n.toLocaleString('en-US'),
        `${set.result.top1.toFixed(1)}%`,
        `${set.result.top5.toFixed(1)}%`,
        set.result.ece.toFixed(4),
      ]);
    }
    assert.match(
      (await panel.page.locator('#suite-table tfoot').textContent()) ?? '',
      new RegExp(`ood_mean\\)${s.ood_mean.toFixed(1)}%`),
    );
    assert.equal(
      await panel.page.locator('[data-metric="suite.ood_mean"]').getAttribute('data-value'),
      String(s.ood_mean),
    );
    assert.equal(await panel.page.locator('#zero-shot-title').textContent(), 'In-distribution set: animals-id');
    assert.equal(await panel.page.locator('#class-table tbody tr').count(), s.inDistribution.result.classes);
    assert.match((await panel.page.locator('#facts').textContent()) ?? '', /1 in-distribution \+ 2 shifted/);
    await panel.page.screenshot({ path: path.join(resultsDir, 'suite.png'), fullPage: true });

    // Hidden and shown again: the page restores the suite from its state.
    await panel.page.reload();
    await panel.waitForReady();
    assert.equal(await panel.page.locator('#suite-table tbody tr').count(), 1 + s.shifted.length);
  });
});
