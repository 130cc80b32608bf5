import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logitOfPercent } from '../../../../src/core/classification/robustness';
import { formatLogitTick, logitScale, percentOfLogit } from '../../../../webview/src/compare/logitAxis';

describe('logit accuracy axis (robustness plot)', () => {
  it('inverts logit: a tick at logit(p) is labelled p', () => {
    for (const p of [0.1, 1, 5, 30, 50, 77, 95, 99.5, 99.9])
      assert.ok(Math.abs(percentOfLogit(logitOfPercent(p)) - p) < 1e-9, String(p));
    assert.equal(logitOfPercent(50), 0);
    assert.deepEqual(
      [0.1, 1, 30, 50, 99, 99.5].map((p) => formatLogitTick(logitOfPercent(p))),
      ['0.1%', '1%', '30%', '50%', '99%', '99.5%'],
    );
  });

  it('covers every point with a margin, on one extent for both axes', () => {
    const percents = [25.4, 55, 82.9, 49.3, 31.5];
    const s = logitScale(percents);
    for (const p of percents) assert.ok(logitOfPercent(p) > s.min && logitOfPercent(p) < s.max, String(p));
    assert.ok(s.min < logitOfPercent(25.4) - 0.2 && s.max > logitOfPercent(82.9) + 0.2);
  });

  it('places ticks at accuracies inside the extent, as many as stay readable', () => {
    const wide = logitScale([2, 99]);
    const narrow = logitScale([61, 64]);
    // The coarse set (1%, 5%, 10% … 99%) is spread evenly by the logit itself, so it is used whole on a wide axis.
    assert.deepEqual(
      wide.ticks.map((t) => formatLogitTick(t)),
      ['1%', '5%', '10%', '20%', '30%', '50%', '70%', '80%', '90%', '95%', '99%'],
    );
    assert.deepEqual(
      narrow.ticks.map((t) => formatLogitTick(t)),
      ['55%', '60%', '65%'],
    );
    for (const s of [wide, narrow]) {
      for (const t of s.ticks) assert.ok(t >= s.min && t <= s.max);
      assert.deepEqual(
        s.ticks,
        [...s.ticks].sort((a, b) => a - b),
      );
    }
  });

  it('stays finite at 0% and 100% accuracy, and with no points at all', () => {
    const s = logitScale([0, 100]);
    assert.ok(Number.isFinite(s.min) && Number.isFinite(s.max) && s.min < s.max);
    const empty = logitScale([]);
    assert.ok(empty.min < logitOfPercent(10) && empty.max > logitOfPercent(90));
  });
});
