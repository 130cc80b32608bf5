/**
 * The sample workspace's suites through the built compute worker (dist/worker.js) into the views:
 * what a user sees when opening a *.suite.json, one of its sets, or comparing the two suites.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { writeSampleSuites } from '../../../../src/core/synthetic/sampleSuites';
import { compareSnapshotOf } from '../../../../src/snapshots/compare/compareSnapshot';
import type { PanelSnapshot } from '../../../../src/protocol/analysisPanel';
import type { AnyCompareData } from '../../../../src/protocol/comparePanel';
import type { WorkerReply, WorkerRequest } from '../../../../src/protocol/worker';
import { panelSuite, resultsDir } from '../panelHarness';
import { darkTheme } from '../themeVars';
import { repoRoot } from '../../../helpers/repoRoot';
import { testAnalyzeSettings } from '../../../helpers/analyzeSettings';

const dir = mkdtempSync(path.join(tmpdir(), 'el-zero-shot-worker-'));
const settings = testAnalyzeSettings;
const suiteFile = (name: string) => path.join(dir, 'classification', `${name}.suite.json`);

/** One job on a fresh worker; resolves to its final reply, as JSON (what a webview receives). */
async function job(
  request: { type: 'analyze'; files: string[] } | { type: 'compare'; checkpoints: string[][] },
): Promise<WorkerReply> {
  const worker = new Worker(path.join(repoRoot, 'dist', 'worker.js'), { workerData: { backend: 'wasm' } });
  try {
    return await new Promise<WorkerReply>((resolve, reject) => {
      worker.on(
        'message',
        (m: WorkerReply) => m.type !== 'progress' && resolve(JSON.parse(JSON.stringify(m)) as WorkerReply),
      );
      worker.once('error', reject);
      worker.postMessage({ ...request, settings, id: 1, cancel: new SharedArrayBuffer(4) } as WorkerRequest);
    });
  } finally {
    await worker.terminate();
  }
}

async function analysisOf(files: string[]): Promise<PanelSnapshot> {
  const reply = await job({ type: 'analyze', files });
  assert.equal(reply.type, 'analysis', JSON.stringify(reply).slice(0, 300));
  return (reply as Extract<WorkerReply, { type: 'analysis' }>).snapshot;
}

before(async () => {
  await writeSampleSuites(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a sample suite and one of its sets, analysed by the worker, in the analysis view', () => {
  const suite = panelSuite(darkTheme);

  it('a suite file: every set in the table, ood_mean, the in-distribution set in full', async () => {
    const snapshot = await analysisOf([suiteFile('zero-shot')]);
    assert.equal(snapshot.kind, 'suite');
    const panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot });
    assert.deepEqual(
      await panel.page
        .locator('#suite-table tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-set'))),
      ['id', 'sketch', 'rendition'],
    );
    assert.equal(await panel.page.locator('#class-table tbody tr').count(), 20);
    assert.equal((await panel.chartOption('worstClasses')).series[0].data.length, 20);
    await panel.page.screenshot({ path: path.join(resultsDir, 'sample-suite.png'), fullPage: true });
  });

  it('one set of it: a classification file alone, no retrieval parts', async () => {
    const snapshot = await analysisOf([path.join(dir, 'classification', 'fine-tuned', 'shift-sketch.npz')]);
    assert.equal(snapshot.kind, 'classification');
    const panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot });
    assert.equal(await panel.page.locator('#retrieval').isHidden(), true);
    assert.equal(await panel.page.locator('#zero-shot-title').textContent(), 'Zero-shot classification');
    assert.ok((await panel.page.locator('#confused-table tbody tr').count()) > 0);
  });
});

describe('the two sample suites compared by the worker, in the compare view', () => {
  const suite = panelSuite(darkTheme, 'compare');

  it('draws both checkpoints on the robustness plot, below y = x', async () => {
    const reply = await job({ type: 'compare', checkpoints: [[suiteFile('zero-shot')], [suiteFile('fine-tuned')]] });
    assert.equal(reply.type, 'comparison', JSON.stringify(reply).slice(0, 300));
    const data = (reply as Extract<WorkerReply, { type: 'comparison' }>).data as AnyCompareData;
    assert.ok('suites' in data);
    const panel = await suite.open();
    await panel.post({ type: 'snapshot', snapshot: compareSnapshotOf(data, 0) });
    const points = (await panel.chartOption('robustness', 'embeddingLensCompareCharts')).series.filter(
      (s) => s.type === 'scatter',
    );
    assert.deepEqual(
      points.map((p) => p.name),
      ['zero-shot.suite.json', 'fine-tuned.suite.json'],
    );
    for (const p of points) {
      const [[x, y]] = p.data as number[][];
      assert.ok(y < x, `${p.name}: the shifted sets are harder`);
    }
    await panel.page.waitForTimeout(200);
    await panel.page.screenshot({ path: path.join(resultsDir, 'sample-robustness.png'), fullPage: true });
  });
});
