import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvText } from '../../../../src/core/util/csv';
import { runEvalsCsv, runJson } from '../../../../src/snapshots/dashboard/runExport';
import { applyEvent, emptySnapshot } from '../../../../src/extension/training/runState';
import type { AnalysisResult } from '../../../../src/core/metrics/types';

/** Just the fields the run reducer reads from an eval's metrics. */
function evalMetrics(epoch: number): AnalysisResult {
  return {
    uniformity: -2 - epoch / 10,
    alignment: 1.5 - epoch / 20,
    hardest_negative_alignment_i2t: -0.05 * epoch,
    hardest_negative_alignment_t2i: -0.04 * epoch,
    modality_gap: 0.85 - epoch / 100,
    i2t: { 'R@1': 50 + epoch },
    t2i: { 'R@1': 48 + epoch },
  } as unknown as AnalysisResult;
}

describe('run export', () => {
  const run = emptySnapshot('coco, "v2"', '/ws/coco.m2mix.json', 2);
  applyEvent(run, { type: 'eval', epoch: 0, metrics: evalMetrics(0) });
  applyEvent(run, { type: 'start', runDir: '/ws/runs/coco', totalSteps: 4, stepsPerEpoch: 2, firstStep: 0, notes: [] });
  for (let step = 1; step <= 4; step++) {
    applyEvent(run, {
      type: 'step',
      step,
      epoch: Math.ceil(step / 2),
      lr: 1e-4 * step,
      loss: step === 3 ? NaN : 2 / step,
      components: { clip: 1 / step },
      lambda: {},
    });
    if (step % 2 === 0) applyEvent(run, { type: 'eval', epoch: step / 2, metrics: evalMetrics(step / 2) });
  }

  it('writes one CSV row per evaluated epoch with the metric names the analysis uses', () => {
    const lines = runEvalsCsv(run).trimEnd().split('\n');
    assert.equal(
      lines[0],
      'epoch,uniformity,alignment,hard_negative_alignment_i2t,hard_negative_alignment_t2i,modality_gap,i2t_R@1,t2i_R@1',
    );
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[3].split(',').map(Number), [2, -2.2, 1.4, -0.1, -0.08, 0.83, 52, 50]);
  });

  it('writes the run, its evals and its steps as JSON, a non-finite loss as null', () => {
    const j = JSON.parse(runJson(run));
    assert.equal(j.name, 'coco, "v2"');
    assert.equal(j.run_dir, '/ws/runs/coco');
    assert.deepEqual(
      j.evals.map((e: { epoch: number }) => e.epoch),
      [0, 1, 2],
    );
    assert.equal(j.evals[1]['i2t_R@1'], 51);
    assert.deepEqual(j.steps.step, [1, 2, 3, 4]);
    assert.deepEqual(j.steps.loss, [2, 1, null, 0.5]);
    assert.deepEqual(j.steps.components.clip, [1, 0.5, 1 / 3, 0.25]);
  });

  it("adds each eval suite's in-distribution and mean shifted top-1, empty before it was measured", () => {
    const withSuites = emptySnapshot('suites', '/ws/s.m2mix.json', 1);
    const top1 = (v: number) => ({
      n: 10,
      classes: 2,
      top1: v,
      top5: 100,
      balanced: v,
      ece: 0,
      ece_tau: 0.01,
      per_class: [],
      confused: [],
    });
    applyEvent(withSuites, { type: 'eval', epoch: 0, metrics: evalMetrics(0) });
    applyEvent(withSuites, {
      type: 'eval',
      epoch: 1,
      metrics: evalMetrics(1),
      suites: [
        { suite: 'inet', inDistribution: { name: 'id', files: [], result: top1(70) }, shifted: [], ood_mean: 45 },
      ],
    });
    const lines = runEvalsCsv(withSuites).trimEnd().split('\n');
    assert.match(lines[0], /,inet_id_top1,inet_ood_mean$/);
    assert.match(lines[1], /,,$/);
    assert.match(lines[2], /,70,45$/);
    assert.deepEqual(
      JSON.parse(runJson(withSuites)).evals.map((e: Record<string, unknown>) => e.inet_ood_mean),
      [null, 45],
    );
  });

  it('quotes CSV fields that hold a comma, a quote or a newline', () => {
    assert.equal(
      csvText([
        ['a', 'b,c'],
        ['say "hi"', 'two\nlines'],
      ]),
      'a,"b,c"\n"say ""hi""","two\nlines"\n',
    );
  });
});
