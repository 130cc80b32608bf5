import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { AnalysisResult } from '../../../../src/core/metrics/types';
import { geometryKeys } from '../../../helpers/metricKeys';
import { PanelPage, panelSuite, resultsDir, type ChartOptionShape } from '../panelHarness';
import { applyTheme } from '../contrast';
import { makeSnapshot } from '../../../helpers/snapshotFixture';
import { darkTheme, lightTheme, type TestTheme } from '../themeVars';

const cardKeys = [
  ...geometryKeys,
  ...['i2t', 't2i'].flatMap((d) => ['R@1', 'R@5', 'R@10', 'median_rank', 'mean_rank'].map((k) => `${d}.${k}`)),
  'ece',
];

type Series = ChartOptionShape['series'][number];

function valueAt(m: AnalysisResult, key: string): number {
  const [a, b] = key.split('.');
  return b === undefined ? (m[a as keyof AnalysisResult] as number) : (m[a as 'i2t' | 't2i'][b] as number);
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
      const shown = /R@/.test(key)
        ? `${value.toFixed(1)}%`
        : value.toFixed(/median_rank/.test(key) ? 1 : /mean_rank/.test(key) ? 2 : 4);
      assert.equal(await card.locator('.card-value').textContent(), shown, key);
      const better = /R@/.test(key) ? '↑ higher is better' : '↓ lower is better';
      assert.equal(await card.locator('.card-better').textContent(), better, key);
    }
    assert.equal(await panel.page.locator('#title').textContent(), snapshot.title);
    assert.match((await panel.page.locator('#facts').textContent()) ?? '', /wasm.*1\.23 s/);
  });

  it('marks sampled figures as estimates with their error, and a sample of every pair as exact', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot();
    snapshot.metrics.estimates = {
      uniformity: { standard_error: 0.0123, sample_pairs: 20000 },
      uniformity_image: { standard_error: 0, sample_pairs: 1770 },
    };
    await panel.post({ type: 'snapshot', snapshot });
    const estimate = (key: string) => panel!.page.locator(`[data-metric="${key}"] .card-estimate`).textContent();
    assert.equal(await estimate('uniformity'), 'estimate ± 0.0123 (sample of 20,000 pairs)');
    assert.equal(await estimate('uniformity_image'), 'exact (all 1,770 pairs)');
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
    assert.deepEqual(byName('image')?.data[5], Array.from(snapshot.scatter.image.slice(10, 12)));
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
    assert.equal(
      sumOf(
        reliability.series.find((s) => s.name === 'accuracy'),
        4,
      ),
      n,
    );
    assert.match((await panel.page.locator('#ece-note').textContent()) ?? '', /^ECE \d\.\d{4} at τ = 0\.01/);
  });

  it('warns about non-unit input norms, and only then', async () => {
    panel = await suite.open();
    const warnings = panel.page.locator('#warnings');
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ unitNorms: true }) });
    assert.equal(await warnings.isVisible(), false);
    await panel.post({
      type: 'snapshot',
      snapshot: makeSnapshot({ unitNorms: false, warnings: ['skipped 3 rows with NaN'] }),
    });
    assert.equal(await warnings.isVisible(), true);
    assert.equal(await warnings.locator('li').count(), 2);
    assert.match((await warnings.textContent()) ?? '', /skipped 3 rows with NaN.*not unit vectors.*L2-normalised/);
  });

  it('shows safetensors metadata as a key/value table', async () => {
    panel = await suite.open();
    await panel.post({
      type: 'snapshot',
      snapshot: makeSnapshot({ metadata: { model: 'ViT-B/16', '<b>': '<i>x</i>' } }),
    });
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
    assert.ok(box && box.height < 30, `a short error is one row high (${box?.height}px)`);

    // A long one wraps: its end, which says how to fix the input, stays readable.
    const long = `${'/data/run/'.repeat(8)}vision_image.npy: the array has shape (500, 512): one modality only, and no file with the other one was found beside it (name them *image*/*img* and *text*/*txt*, or open both)`;
    await panel.post({ type: 'error', message: long });
    const clipped = await status.evaluate((e) => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight);
    assert.equal(clipped, false, 'the whole error is shown');
    assert.ok(((await status.boundingBox())?.height ?? 0) > 30, 'on several rows');
  });

  it('Re-run, Export JSON and Export CSV post their messages', async () => {
    panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot() });
    await panel.page.locator('#rerun').click();
    await panel.page.locator('#export-json').click();
    await panel.page.locator('#export-csv').click();
    assert.deepEqual((await panel.posted()).slice(-3), [
      { type: 'rerun' },
      { type: 'exportMetrics', format: 'json' },
      { type: 'exportMetrics', format: 'csv' },
    ]);
  });

  it('exports every chart as PNG and as SVG under the production CSP', async () => {
    panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ scatterShown: 3000 }) });
    for (const name of ['scatter', 'sphere', 'histogram', 'reliability', 'calibration']) {
      for (const format of ['png', 'svg'] as const) {
        await panel.page.locator(`#export-${format}-${name}`).click();
        const m = (await panel.posted()).at(-1);
        assert.ok(m?.type === 'exportImage', `${name} ${format}`);
        assert.equal(m.format, format);
        assert.equal(m.chart, name);
        assert.equal(m.request, undefined, 'a button asks without a request id');
        if (format === 'png') {
          assert.match(m.data, /^data:image\/png;base64,/);
          assert.ok(m.data.length > 5000, `${name}.png has content (${m.data.length} chars)`);
        } else {
          assert.match(m.data, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>$/);
          // Drawn, not an empty frame: the axis names or legend are in the text.
          assert.ok(m.data.length > 5000, `${name}.svg has content (${m.data.length} chars)`);
        }
      }
    }
    // The scatter's SVG holds its points: large mode draws each series as one path, so look for both colours.
    await panel.page.locator('#export-svg-scatter').click();
    const svg = (await panel.posted()).at(-1) as { data: string };
    assert.ok(
      svg.data.includes(darkTheme.vars['--vscode-charts-blue']) &&
        svg.data.includes(darkTheme.vars['--vscode-charts-orange']),
    );

    // The export commands' round trip: the view answers each request with its id, '' for a chart it lacks.
    await panel.post({ type: 'exportChart', request: 41, chart: 'reliability', format: 'png' });
    await panel.post({ type: 'exportChart', request: 42, chart: 'plane', format: 'svg' });
    const [known, unknown] = (await panel.posted()).slice(-2);
    assert.ok(known.type === 'exportImage' && unknown.type === 'exportImage');
    assert.deepEqual([known.request, known.chart, known.format], [41, 'reliability', 'png']);
    assert.match(known.data, /^data:image\/png;base64,/);
    assert.ok(known.data.length > 5000);
    assert.deepEqual(unknown, { type: 'exportImage', chart: 'plane', format: 'svg', data: '', request: 42 });
  });

  it('draws the ECE temperature sweep with the tau in use marked and R@1 flat beside it', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot();
    await panel.post({ type: 'snapshot', snapshot });
    type Calibration = { series: (Series & { markLine?: { data: { xAxis: number }[] } })[]; xAxis: { type: string }[] };
    const option = await panel.chartOption<Calibration>('calibration');
    const ece = option.series.find((s) => s.name === 'ECE');
    const t = snapshot.temperature;
    assert.deepEqual(
      ece?.data,
      t.taus.map((tau, i) => [tau, t.ece[i]]),
    );
    assert.equal(option.xAxis[0].type, 'log');
    assert.equal(ece?.markLine?.data[0].xAxis, 0.01);
    // The fixture's curve passes through the reported ECE at the tau in use, as the real sweep does.
    assert.equal(t.ece[t.taus.indexOf(0.01)], snapshot.metrics.ece);
    const r1 = option.series.find((s) => s.name === 'R@1 (independent of τ)');
    assert.deepEqual(
      (r1?.data as number[][]).map((p) => p[1]),
      [snapshot.metrics.i2t['R@1'], snapshot.metrics.i2t['R@1']],
    );
    assert.match((await panel.page.locator('#calibration-note').textContent()) ?? '', /R@1 does not depend on τ/);
  });

  it('renders a 100,000-pair scatter in large mode, pair lines for a 2,000-pair sample', async () => {
    panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: makeSnapshot({ pairs: 300 }) });
    // Listen before the big snapshot arrives; 'finished' fires once every progressive chunk is drawn.
    await panel.page.evaluate(() => {
      const w = window as unknown as {
        scatterFinished: Promise<number>;
        embeddingLensCharts: Record<string, { on(e: string, f: () => void): void }>;
      };
      w.scatterFinished = new Promise((resolve) => {
        const start = performance.now();
        let armed = false;
        window.addEventListener('message', () => (armed = true), { once: true });
        w.embeddingLensCharts.scatter.on('finished', () => armed && resolve(performance.now() - start));
      });
    });
    const snapshot = makeSnapshot({ pairs: 300, scatterShown: 100_000, scatterTotal: 250_000 });
    await panel.post({ type: 'snapshot', snapshot });
    const ms = await panel.page.evaluate(
      () => (window as unknown as { scatterFinished: Promise<number> }).scatterFinished,
    );
    assert.ok(ms < 30_000, `rendered in ${ms.toFixed(0)} ms`);
    type Large = { series: (Series & { large?: boolean; progressive?: number })[] };
    const option = await panel.chartOption<Large>('scatter');
    for (const name of ['image', 'text']) {
      const s = option.series.find((x) => x.name === name);
      assert.equal(s?.data.length, 100_000, name);
      assert.equal(s?.large, true);
      assert.ok((s?.progressive ?? 0) > 0);
    }
    assert.equal(option.series.find((s) => s.name === 'pair')?.data.length, 2000);
    assert.match(
      (await panel.page.locator('#scatter-note').textContent()) ?? '',
      /Showing 100,000 of 250,000 pairs \(uniform random sample of 100000 pairs \(seeded\)\); faint lines join image and caption for 2,000 of them \(a seeded uniform sample of 2,000 pairs\)/,
    );
  });

  it('draws both modalities on the sphere with the gap arrow, and a drag turns it', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot({ pairs: 400 });
    await panel.post({ type: 'snapshot', snapshot });
    const points = async () => {
      const option = await panel!.chartOption('sphere');
      const of = (n: string) => (option.series.find((s) => s.name === n)?.data ?? []) as number[][];
      return {
        image: [...of('image'), ...of('image (far side)')],
        text: [...of('text'), ...of('text (far side)')],
        gap: of('modality gap'),
      };
    };
    const before = await points();
    assert.equal(before.image.length, 400);
    assert.equal(before.text.length, 400);
    assert.equal(before.gap.length, 1);
    for (const [x, y] of [...before.image, ...before.text])
      assert.ok(Math.hypot(x, y) <= 1 + 1e-9, 'a projection of the unit sphere');
    const sphere = panel.page.locator('[data-chart="sphere"]');
    await sphere.scrollIntoViewIfNeeded();
    const box = await sphere.boundingBox();
    assert.ok(box);
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await panel.page.mouse.move(cx, cy);
    await panel.page.mouse.down();
    await panel.page.mouse.move(cx + 60, cy + 20, { steps: 5 });
    await panel.page.mouse.up();
    const after = await points();
    assert.equal(after.image.length, 400);
    assert.notDeepEqual(after.image, before.image);
    assert.notDeepEqual(after.gap, before.gap);
    assert.match(
      (await panel.page.locator('#sphere-note').textContent()) ?? '',
      /All 400 pairs on PC1–PC3.*drag to rotate/,
    );

    // The toggle draws the DOSNES sample instead (here 200 pairs), and back.
    const toggle = panel.page.locator('#sphere-layout');
    assert.equal((await toggle.textContent())?.trim(), 'DOSNES');
    await toggle.click();
    const dosnes = await points();
    assert.equal(dosnes.image.length, 200);
    assert.equal(dosnes.text.length, 200);
    assert.equal(dosnes.gap.length, 1);
    assert.equal((await toggle.textContent())?.trim(), 'PCA');
    assert.match(
      (await panel.page.locator('#sphere-note').textContent()) ?? '',
      /200 of 400 pairs \(seeded uniform sample\) laid out by DOSNES/,
    );
    await toggle.click();
    assert.equal((await points()).image.length, 400);
  });

  it('asks the host for the DOSNES layout on the first toggle, draws it when it comes, and keeps it across a reload', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot({ pairs: 400 });
    const laidOut = snapshot.sphere.dosnes!;
    delete snapshot.sphere.dosnes;
    await panel.post({ type: 'snapshot', snapshot });
    const drawn = async () => {
      const option = await panel!.chartOption('sphere');
      return option.series.filter((s) => s.name.startsWith('image')).reduce((n, s) => n + s.data.length, 0);
    };
    const toggle = panel.page.locator('#sphere-layout');
    await toggle.click();
    assert.deepEqual((await panel.posted()).at(-1), { type: 'layOutDosnes' });
    assert.equal((await toggle.textContent())?.trim(), 'Laying out…');
    assert.equal(await toggle.getAttribute('disabled'), '');
    assert.equal(await drawn(), 400, 'the PCA layout stays until the DOSNES one arrives');

    await panel.post({ type: 'snapshot', snapshot: { ...snapshot, sphere: { ...snapshot.sphere, dosnes: laidOut } } });
    assert.equal(await drawn(), 200);
    assert.equal((await toggle.textContent())?.trim(), 'PCA');
    assert.equal(await toggle.getAttribute('disabled'), null);
    assert.match(
      (await panel.page.locator('#sphere-note').textContent()) ?? '',
      /200 of 400 pairs .* laid out by DOSNES/,
    );

    // Hidden and shown again: the page reloads from its saved state, in the layout the user chose.
    await panel.page.reload();
    await panel.page.locator('#sphere-note').filter({ hasText: 'laid out by DOSNES' }).waitFor({ timeout: 10000 });
    assert.equal(await drawn(), 200);

    // A re-run's snapshot has no layout yet: back to PCA, and the next toggle asks again.
    await panel.post({ type: 'snapshot', snapshot });
    assert.equal(await drawn(), 400);
    assert.equal((await toggle.textContent())?.trim(), 'DOSNES');
  });

  it('draws the geodesic mixes of a run checkpoint in the PCA view only', async () => {
    panel = await suite.open();
    const snapshot = makeSnapshot({ pairs: 400 });
    // Two arcs from an image point to its text point, each with its hard negative.
    const arc = (i: number) => [
      ...snapshot.sphere.image.slice(3 * i, 3 * i + 3),
      ...snapshot.sphere.text.slice(3 * i, 3 * i + 3),
    ];
    snapshot.sphere.arcs = {
      arcs: [arc(0), arc(1)],
      negatives: [...arc(0).slice(0, 3), ...arc(1).slice(3)],
      beta: 2,
      seed: 9,
    };
    await panel.post({ type: 'snapshot', snapshot });
    const series = async () => (await panel!.chartOption('sphere')).series;
    assert.equal((await series()).find((s) => s.name === 'geodesic mix')?.data.length, 2);
    assert.equal((await series()).find((s) => s.name === 'mixed hard negative')?.data.length, 2);
    assert.match(
      (await panel.page.locator('#sphere-note').textContent()) ?? '',
      /geodesic mixes .* of 2 pairs .*Beta\(2, 2\) seeded with 9: this checkpoint records no λ/,
    );
    await panel.page.locator('#sphere-layout').click();
    assert.equal(
      (await series()).find((s) => s.name === 'geodesic mix'),
      undefined,
    );
    assert.match((await panel.page.locator('#sphere-note').textContent()) ?? '', /drawn in the PCA view only/);
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
    assert.deepEqual(await colours(), [
      v(darkTheme, 'blue'),
      v(darkTheme, 'orange'),
      v(darkTheme, 'green'),
      v(darkTheme, 'red'),
    ]);
    await panel.page.screenshot({ path: path.join(resultsDir, 'webview-dark.png'), fullPage: true });
    await applyTheme(panel, lightTheme);
    assert.deepEqual(await colours(), [
      v(lightTheme, 'blue'),
      v(lightTheme, 'orange'),
      v(lightTheme, 'green'),
      v(lightTheme, 'red'),
    ]);
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
    const scatter = await panel.chartOption('scatter');
    assert.equal(scatter.series[1].data.length, snapshot.scatter.shown);
    // The coordinates come back from the saved state exactly (a typed array does not survive JSON as itself).
    const text = scatter.series.find((s) => s.name === 'text');
    assert.deepEqual(text?.data[7], Array.from(snapshot.scatter.text.slice(14, 16)));
    assert.deepEqual(await panel.posted(), [{ type: 'ready' }]);
  });
});
