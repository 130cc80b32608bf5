/** The host-side builders of the zero-shot and suite snapshots, and what export makes of them (no browser). */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyze } from '../../../../src/core/metrics/analyze';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { buildSuiteCompareSnapshot, compareSnapshotOf } from '../../../../src/snapshots/compare/compareSnapshot';
import { metricsCsv, metricsJson } from '../../../../src/snapshots/compare/metricsExport';
import {
  buildPanelSnapshot,
  classificationSnapshot,
  suiteSnapshot,
} from '../../../../src/snapshots/analysis/panelSnapshot';
import { panelMetrics, panelMetricsText } from '../../../../src/snapshots/analysis/panelMetrics';
import { chartsOf } from '../../../../src/protocol/analysisPanel';
import { compareChartsOf } from '../../../../src/protocol/comparePanel';
import { makeSnapshot } from '../../../helpers/snapshotFixture';
import { makeSuite, makeSuiteCompareData, makeZeroShot } from '../../../helpers/zeroShotFixture';
import { analyzedFromCheckpoint } from '../../../../src/core/analysis/analyzedCheckpoint';

const ids = (charts: readonly { id: string }[]) => charts.map((c) => c.id);

describe('zero-shot snapshot builders', () => {
  it('a classification set: its analysis as it came, titled by its file, with the zero-shot charts only', async () => {
    const zeroShot = makeZeroShot();
    const outcome = {
      kind: 'classification' as const,
      files: ['/data/animals-val.npz'],
      zeroShot,
      warnings: ['skipped 2 rows with NaN'],
      seconds: 0.3,
    };
    const s = classificationSnapshot(outcome, 'wasm');
    assert.deepEqual(s, {
      kind: 'classification',
      title: 'animals-val.npz',
      files: outcome.files,
      warnings: outcome.warnings,
      zeroShot,
      backend: 'wasm',
      seconds: 0.3,
    });
    assert.deepEqual((await buildPanelSnapshot(outcome, outcome.files, 'wasm')).snapshot, s);
    assert.deepEqual(ids(chartsOf(s)), ['zeroShotReliability', 'worstClasses']);
    assert.deepEqual(panelMetrics(s), { zero_shot: zeroShot.result });
    const csv = panelMetricsText(s, 'csv');
    assert.match(csv, new RegExp(`^metric,value\\r?\\nzero_shot\\.n,2000\\r?\\n`));
    assert.match(csv, new RegExp(`zero_shot\\.top1,${zeroShot.result.top1}`));
    assert.deepEqual(
      JSON.parse(panelMetricsText(s, 'json')),
      JSON.parse(JSON.stringify({ zero_shot: zeroShot.result })),
    );
  });

  it('a suite: the table, and the in-distribution set drawn in full from its detail', async () => {
    const { suite, analyses } = makeSuite();
    const outcome = {
      kind: 'suite' as const,
      suite,
      details: analyses.map((a) => a.detail),
      warnings: [],
      seconds: 1.2,
    };
    const { snapshot, dosnes } = await buildPanelSnapshot(outcome, ['/data/animals.suite.json'], 'wasm');
    assert.equal(dosnes, undefined, 'nothing to lay out on the sphere');
    assert.deepEqual(snapshot, suiteSnapshot(outcome, '/data/animals.suite.json', 'wasm'));
    assert.ok(snapshot.kind === 'suite');
    assert.equal(snapshot.title, 'animals');
    assert.deepEqual(snapshot.files, ['/data/animals.suite.json']);
    assert.deepEqual(snapshot.zeroShot, { result: suite.inDistribution.result, detail: analyses[0].detail });
    assert.deepEqual(panelMetrics(snapshot), suite);
    assert.deepEqual(ids(chartsOf(snapshot)), ['zeroShotReliability', 'worstClasses']);
  });

  describe('a file of pairs', () => {
    before(async () => {
      await initBackend('wasm');
    });

    it('carries its zero-shot analysis beside the retrieval parts when it has classes, and only then', async () => {
      const checkpoint = generateSample({ pairs: 120, dim: 16, seed: 3 });
      const { result, detail } = await analyze(checkpoint);
      const zeroShot = makeZeroShot({ classes: 6, images: 120 });
      const outcome = {
        kind: 'retrieval' as const,
        analyzed: {
          ...analyzedFromCheckpoint(checkpoint, { ...result, zero_shot: zeroShot.result }, detail),
          zeroShot,
        },
      };
      const { snapshot, dosnes } = await buildPanelSnapshot(outcome, checkpoint.files, 'wasm');
      assert.ok(dosnes, 'the sphere toggle still has its input');
      assert.equal(snapshot.kind, 'retrieval');
      assert.deepEqual(snapshot.zeroShot, zeroShot);
      assert.deepEqual((panelMetrics(snapshot) as typeof result).zero_shot, zeroShot.result);
      const plain = await buildPanelSnapshot(
        { kind: 'retrieval', analyzed: analyzedFromCheckpoint(checkpoint, result, detail) },
        checkpoint.files,
        'wasm',
      );
      assert.equal('zeroShot' in plain.snapshot, false);
    });
  });

  it('a file of pairs offers the retrieval charts, and the zero-shot ones too when it has classes', () => {
    const pairs = makeSnapshot();
    assert.deepEqual(ids(chartsOf(pairs)), ['scatter', 'sphere', 'histogram', 'reliability', 'calibration']);
    assert.deepEqual(ids(chartsOf({ ...pairs, zeroShot: makeZeroShot() })), [
      'scatter',
      'sphere',
      'histogram',
      'reliability',
      'calibration',
      'zeroShotReliability',
      'worstClasses',
    ]);
    // Before any snapshot the export commands may name any chart (the view answers '' for one it lacks).
    assert.equal(chartsOf(undefined).length, 7);
  });
});

describe('suite comparison snapshot', () => {
  it('rows for the in-distribution set, each shifted set and ood_mean, with deltas and verdicts against the baseline', () => {
    const data = makeSuiteCompareData();
    const s = buildSuiteCompareSnapshot(data, 1);
    assert.equal(s.kind, 'suites');
    assert.deepEqual(compareSnapshotOf(data, 1), s);
    assert.deepEqual(ids(compareChartsOf(s)), ['robustness']);
    const row = (key: string) => s.rows.find((r) => r.key === key)!;
    const suites = data.suites.map((c) => c.suite);
    assert.deepEqual(
      row('in_distribution.top1').values,
      suites.map((x) => x.inDistribution.result.top1),
    );
    assert.deepEqual(
      row('shifted.blur.top1').values,
      suites.map((x) => x.shifted[1].result.top1),
    );
    const ood = row('ood_mean');
    assert.deepEqual(
      ood.values,
      suites.map((x) => x.ood_mean),
    );
    assert.deepEqual(
      ood.deltas,
      ood.values.map((v) => v - ood.values[1]),
    );
    assert.equal(ood.verdicts[1], 'baseline');
    assert.equal(ood.verdicts[0], ood.values[0] < ood.values[1] ? 'worse' : 'better', 'higher accuracy is better');
    const ece = row('in_distribution.ece');
    assert.equal(ece.better, 'lower');
    assert.equal(ece.verdicts[0], ece.values[0] < ece.values[1] ? 'better' : 'worse');
    assert.deepEqual(
      s.robustness,
      data.suites.map((c) => ({
        name: c.name,
        inDistribution: c.suite.inDistribution.result.top1,
        oodMean: c.suite.ood_mean,
      })),
    );
    assert.deepEqual(s.notComparable, []);

    // The metrics export takes the suite table as it takes the retrieval one.
    const csv = metricsCsv(s).split(/\r?\n/);
    assert.equal(
      csv[0],
      `metric,better,${data.suites.map((c) => c.name).join(',')},Δ zero-shot.suite.json,Δ clip-ft.suite.json (baseline),Δ m2mix-ft.suite.json`,
    );
    assert.ok(csv.some((line) => line.startsWith(`ood_mean,higher,${ood.values[0]},`)));
    assert.equal(metricsJson(s).metrics.ood_mean.values['m2mix-ft.suite.json'], ood.values[2]);
  });

  it('says when the suites name different shifted sets or class counts, and leaves a missing set blank', () => {
    const data = makeSuiteCompareData();
    data.suites[2].suite = makeSuite(0.8, 3, ['sketch', 'fog']).suite;
    data.suites[2].suite.inDistribution.result = { ...data.suites[2].suite.inDistribution.result, classes: 100 };
    const s = buildSuiteCompareSnapshot(data, 0);
    assert.deepEqual(
      s.rows.map((r) => r.key),
      [
        'in_distribution.top1',
        'in_distribution.top5',
        'in_distribution.ece',
        'shifted.sketch.top1',
        'shifted.blur.top1',
        'shifted.fog.top1',
        'ood_mean',
      ],
    );
    const blur = s.rows.find((r) => r.key === 'shifted.blur.top1')!;
    assert.ok(Number.isNaN(blur.values[2]));
    assert.equal(blur.verdicts[2], 'same', 'no value, no verdict');
    assert.equal(s.notComparable.length, 2);
    assert.match(s.notComparable[0], /different shifted sets .*m2mix-ft\.suite\.json: fog, sketch/);
    assert.match(s.notComparable[1], /different class counts .*m2mix-ft\.suite\.json: 100/);
  });
});
