import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../../src/core/train/events';
import { applyEvent, applySummary, emptySnapshot } from '../../../../src/extension/training/runState';
import type { DashboardSnapshot, DashboardToHost } from '../../../../src/protocol/dashboard';
import { checkContrastInEveryTheme } from '../contrast';
import { PanelPage, panelSuite, resultsDir } from '../panelHarness';
import { makeSnapshot } from '../../../helpers/snapshotFixture';
import { darkTheme } from '../themeVars';

const stepsPerEpoch = 30;
const epochs = 4;
const totalSteps = stepsPerEpoch * epochs;

/** A synthetic m²-Mix run folded by the host's own reducer, stopped after `done` steps. */
function makeRun(done: number): DashboardSnapshot {
  const snap = emptySnapshot('coco-m2mix', '/ws/coco-m2mix.m2mix.json', epochs);
  const base = makeSnapshot({ seed: 5 }).metrics;
  const evalAt = (epoch: number): RunEvent => ({
    type: 'eval',
    epoch,
    metrics: {
      ...base,
      uniformity: -2.2 - 0.1 * epoch,
      alignment: 1.4 - 0.05 * epoch,
      hardest_negative_alignment_i2t: -0.06 - 0.004 * epoch,
      hardest_negative_alignment_t2i: -0.05 - 0.002 * epoch,
      modality_gap: 0.87 - 0.03 * epoch,
      i2t: { ...base.i2t, 'R@1': 70 + 2 * epoch },
      t2i: { ...base.t2i, 'R@1': 68 + 2.5 * epoch },
    },
  });
  applyEvent(snap, evalAt(0));
  applyEvent(snap, { type: 'checkpoint', epoch: 0, file: '/ws/runs/coco-m2mix/epoch-0.safetensors', best: true });
  applyEvent(snap, {
    type: 'start',
    runDir: '/ws/runs/coco-m2mix',
    totalSteps,
    stepsPerEpoch,
    firstStep: 0,
    notes: [],
  });
  for (let step = 1; step <= done; step++) {
    const clip = 2 * Math.exp(-step / 40) + 0.3 + 0.05 * Math.sin(step);
    const m2mix = 3.2 * Math.exp(-step / 60) + 1.1;
    const lr = 1e-4 * Math.min(step / 12, 0.5 * (1 + Math.cos((Math.PI * (step - 12)) / (totalSteps - 12))));
    applyEvent(snap, {
      type: 'step',
      step,
      epoch: Math.ceil(step / stepsPerEpoch),
      lr,
      loss: clip + 0.1 * m2mix,
      components: { clip, m2mix },
      lambda: { m2mix: 0.4 },
    });
    if (step % stepsPerEpoch !== 0) continue;
    const epoch = step / stepsPerEpoch;
    applyEvent(snap, evalAt(epoch));
    applyEvent(snap, { type: 'checkpoint', epoch, file: `/ws/runs/coco-m2mix/epoch-${epoch}.safetensors`, best: true });
  }
  return snap;
}

interface LineOption {
  series: { name: string; data: [number, number | null][]; lineStyle: { color: string } }[];
  xAxis: { name: string }[];
  yAxis: { name: string }[];
}

describe('training dashboard webview (Chromium, production CSP)', () => {
  const suite = panelSuite(darkTheme, 'dashboard');
  let panel: PanelPage | undefined;

  const post = (snapshot: DashboardSnapshot): Promise<void> => panel!.post({ type: 'snapshot', snapshot });
  const chart = (name: string): Promise<LineOption> =>
    panel!.chartOption<LineOption>(name, 'embeddingLensDashboardCharts');
  const posted = async (): Promise<DashboardToHost[]> => (await panel!.posted()) as unknown as DashboardToHost[];
  const series = (o: LineOption, name: string) => {
    const s = o.series.find((x) => x.name === name);
    assert.ok(s, `series ${name} in ${o.series.map((x) => x.name).join(', ')}`);
    return s;
  };

  it('draws every step and every epoch of a running run, and Cancel posts cancel', async () => {
    panel = await suite.open();
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
    const snap = makeRun(90);
    await post(snap);

    const loss = await chart('loss');
    assert.deepEqual(
      loss.series.map((s) => s.name),
      ['total', 'CLIP', 'm²-Mix'],
    );
    for (const s of loss.series) assert.equal(s.data.length, 90, s.name);
    assert.deepEqual(series(loss, 'total').data[9], [10, snap.steps.loss[9]]);
    assert.deepEqual(series(loss, 'm²-Mix').data[89], [90, snap.steps.components.m2mix![89]]);
    const lr = await chart('lr');
    assert.equal(lr.series[0].data.length, 90);
    assert.deepEqual(lr.series[0].data[11], [12, snap.steps.lr[11]]);

    const recall = await chart('recall');
    assert.deepEqual(series(recall, 'image → text').data, [
      [0, 70],
      [1, 72],
      [2, 74],
      [3, 76],
    ]);
    assert.deepEqual(series(recall, 'text → image').data, [
      [0, 68],
      [1, 70.5],
      [2, 73],
      [3, 75.5],
    ]);
    const geometry = await chart('geometry');
    assert.deepEqual(
      series(geometry, 'uniformity').data.map((d) => d[1]),
      snap.evals.uniformity,
    );
    assert.deepEqual(
      series(geometry, 'alignment').data.map((d) => d[1]),
      snap.evals.alignment,
    );
    const hard = await chart('hardNegative');
    assert.deepEqual(
      series(hard, 'hardest-neg. alignment i2t').data.map((d) => d[1]),
      snap.evals.hardestNegativeAlignmentI2t,
    );
    assert.deepEqual(
      series(hard, 'hardest-neg. alignment t2i').data.map((d) => d[1]),
      snap.evals.hardestNegativeAlignmentT2i,
    );
    assert.deepEqual(
      series(hard, 'modality gap').data.map((d) => d[1]),
      snap.evals.modalityGap,
    );

    assert.equal(await panel.page.locator('#status').textContent(), 'Running — step 90 of 120 (75%)');
    assert.equal(await panel.page.locator('#run').isVisible(), false);
    // What the run changed to fit the GPU, shown under the status; nothing when it changed nothing.
    assert.equal(await panel.page.locator('#notes').isVisible(), false);
    const note =
      'the GPU ran out of memory in a step at batch 4096 with its logits in blocks of 1024 rows; the run uses blocks of 512';
    await post({ ...snap, notes: [note] });
    assert.deepEqual(await panel.page.locator('#notes li').allTextContents(), [note]);
    await panel.page.locator('#cancel').click();
    assert.deepEqual((await posted()).at(-1), { type: 'cancel' });
  });

  it('a torch run says what it is starting, then names its engine, device, ranks and samples/s', async () => {
    panel = await suite.open();
    const starting = {
      ...emptySnapshot('vit-b16', '/ws/vit-b16.m2mix.json', epochs),
      engine: { engine: 'torch' as const, device: '2 × NVIDIA H200, bf16' },
    };
    await post(starting);
    assert.match((await panel.page.locator('#status').textContent()) ?? '', /^Starting: launching the torch engine/);
    const snap = makeRun(12);
    applyEvent(snap, {
      type: 'step',
      step: 13,
      epoch: 1,
      lr: 1e-4,
      loss: 1,
      components: { clip: 1 },
      lambda: {},
      ranks: 2,
      samples_per_s: 1234.6,
    });
    await post({ ...snap, engine: starting.engine });
    assert.match(
      (await panel.page.locator('#facts').textContent()) ?? '',
      /Enginetorch on 2 × NVIDIA H200, bf16Ranks2Samples\/s1,235/,
    );
  });

  it('a completed run offers its best checkpoint and Run again; screenshot', async () => {
    panel = await suite.open();
    const snap = makeRun(totalSteps);
    applySummary(snap, {
      runDir: '/ws/runs/coco-m2mix',
      status: 'completed',
      epochs,
      steps: totalSteps,
      bestEpoch: 4,
      bestMetric: 'mean_R@1',
      bestValue: 79,
      lastCheckpoint: '',
    });
    await post(snap);
    assert.match((await panel.page.locator('#status').textContent()) ?? '', /^Completed — 120 steps, 4 epochs/);
    assert.equal(await panel.page.locator('#cancel').isVisible(), false);
    assert.equal(await panel.page.locator('#progress-bar').isVisible(), false);
    assert.match((await panel.page.locator('#facts').textContent()) ?? '', /Epochs evaluated4 of 4.*Best epoch4/);
    await panel.page.locator('#open-best').click();
    await panel.page.locator('#run').click();
    assert.deepEqual((await posted()).slice(-2), [{ type: 'openBest' }, { type: 'run' }]);
    await panel.page.locator('#export-csv').click();
    await panel.page.locator('#export-json').click();
    assert.deepEqual((await posted()).slice(-2), [
      { type: 'exportMetrics', format: 'csv' },
      { type: 'exportMetrics', format: 'json' },
    ]);
    for (const chart of ['loss', 'lr', 'recall', 'geometry', 'hardNegative']) {
      await panel.page.locator(`#export-svg-${chart}`).click();
      const m = (await posted()).at(-1);
      assert.ok(m?.type === 'exportImage' && m.chart === chart && m.format === 'svg', chart);
      // The drawn lines, not an empty frame.
      assert.match(m.data, /^<svg[\s\S]*<path[\s\S]*<\/svg>$/, chart);
    }
    await panel.post({ type: 'exportChart', request: 3, chart: 'loss', format: 'png' });
    const answer = (await posted()).at(-1);
    assert.ok(
      answer?.type === 'exportImage' && answer.request === 3 && answer.data.startsWith('data:image/png;base64,'),
    );
    assert.equal((await chart('recall')).series[0].data.length, epochs + 1);
    await panel.page.screenshot({ path: path.join(resultsDir, 'dashboard.png'), fullPage: true });
    await checkContrastInEveryTheme(panel, 'dashboard');
  });

  it('charts each eval suite per epoch (in-distribution solid, shifted dashed, best epoch marked), and only for a run that has suites', async () => {
    panel = await suite.open();
    await post(makeRun(totalSteps));
    assert.equal(await panel.page.locator('figure:has([data-chart="suites"])').isVisible(), false);

    const snap = makeRun(0);
    const result = (top1: number) => ({
      n: 100,
      classes: 10,
      top1,
      top5: 90,
      balanced: top1,
      ece: 0.1,
      ece_tau: 0.01,
      per_class: [],
      confused: [],
    });
    const suiteAt = (epoch: number) => ({
      suite: 'imagenet',
      inDistribution: { name: 'id', files: ['id.npz'], result: result(60 + 5 * epoch) },
      shifted: [{ name: 'sketch', files: ['sketch.npz'], result: result(40 + epoch) }],
      ood_mean: 40 + epoch,
    });
    // The epoch-0 eval of makeRun carries no suite; epochs 1 and 2 do.
    for (const epoch of [1, 2]) {
      applyEvent(snap, { type: 'eval', epoch, metrics: makeSnapshot({ seed: 5 }).metrics, suites: [suiteAt(epoch)] });
    }
    applyEvent(snap, { type: 'checkpoint', epoch: 2, file: '/ws/runs/coco-m2mix/epoch-2.safetensors', best: true });
    await post(snap);
    assert.equal(await panel.page.locator('figure:has([data-chart="suites"])').isVisible(), true);
    const suites = (await chart('suites')) as LineOption & {
      series: { markLine?: { data: { xAxis: number }[] }; lineStyle: { type: string } }[];
    };
    assert.deepEqual(series(suites, 'imagenet: in-distribution').data, [
      [0, null],
      [1, 65],
      [2, 70],
    ]);
    const shifted = series(suites, 'imagenet: shifted (mean)') as (typeof suites.series)[number];
    assert.deepEqual(shifted.data, [
      [0, null],
      [1, 41],
      [2, 42],
    ]);
    assert.equal(shifted.lineStyle.type, 'dashed');
    assert.deepEqual(
      suites.series[0].markLine?.data.map((d) => d.xAxis),
      [2],
    );
  });

  it('shows divergence as a one-line error and breaks the loss line at the non-finite step', async () => {
    panel = await suite.open();
    const snap = makeRun(40);
    applyEvent(snap, {
      type: 'step',
      step: 41,
      epoch: 2,
      lr: 1e-4,
      loss: NaN,
      components: { clip: NaN, m2mix: 1 },
      lambda: {},
    });
    applySummary(snap, {
      runDir: '/ws/runs/coco-m2mix',
      status: 'diverged',
      message: 'step 41: the loss is NaN; stopped,\n the last good checkpoint is epoch-1.safetensors',
      epochs: 1,
      steps: 41,
      bestEpoch: 1,
      bestMetric: 'mean_R@1',
      bestValue: 71,
      lastCheckpoint: '',
    });
    await post(snap);
    const status = panel.page.locator('#status');
    assert.equal(
      await status.textContent(),
      'Diverged — step 41: the loss is NaN; stopped, the last good checkpoint is epoch-1.safetensors',
    );
    assert.match((await panel.page.locator('#activity').getAttribute('class')) ?? '', /banner error/);
    const box = await status.boundingBox();
    assert.ok(box && box.height < 30, `status is one line high (${box?.height}px)`);
    const total = series(await chart('loss'), 'total').data;
    assert.deepEqual(total.at(-1), [41, null]);
  });

  it('shows a long cancel message whole: its end names the checkpoint left', async () => {
    panel = await suite.open();
    const snap = makeRun(40);
    const message = `cancelled while evaluating epoch 2, which has no checkpoint; the last checkpoint is ${'/a/long/workspace/path'.repeat(6)}/runs/coco-m2mix/epoch-1.safetensors`;
    applySummary(snap, {
      runDir: '/ws/runs/coco-m2mix',
      status: 'cancelled',
      message,
      epochs: 1,
      steps: 40,
      bestEpoch: 1,
      bestMetric: 'mean_R@1',
      bestValue: 71,
    });
    await post(snap);
    const status = panel.page.locator('#status');
    assert.equal(await status.textContent(), `Cancelled — ${message}`);
    assert.equal(
      await status.evaluate((e) => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight),
      false,
      'the whole message is shown',
    );
  });

  it('re-renders the saved snapshot after a reload, before the host sends anything', async () => {
    panel = await suite.open();
    await post(makeRun(60));
    await panel.page.reload();
    await panel.waitForReady();
    assert.equal((await chart('loss')).series[0].data.length, 60);
    assert.equal((await chart('recall')).series[0].data.length, 3);
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
  });
});
