import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analysisCsv } from '../../../../src/snapshots/analysis/analysisCsv';
import { makeSnapshot } from '../../../helpers/snapshotFixture';

describe('analysis CSV export', () => {
  it('one row per number, nested keys dotted, values exact', () => {
    const m = makeSnapshot().metrics;
    m.estimates = { uniformity: { standard_error: 0.01, sample_pairs: 20000 } };
    const lines = analysisCsv(m).trimEnd().split('\n');
    assert.equal(lines[0], 'metric,value');
    const byKey = new Map(lines.slice(1).map((l) => l.split(',') as [string, string]));
    assert.equal(byKey.get('alignment'), String(m.alignment));
    assert.equal(byKey.get('i2t.R@1'), String(m.i2t['R@1']));
    assert.equal(byKey.get('input_norms.text.max'), String(m.input_norms.text.max));
    assert.equal(byKey.get('estimates.uniformity.standard_error'), '0.01');
    // Nothing dropped or duplicated: as many rows as the result has leaves.
    const leaves = (v: unknown): number =>
      v !== null && typeof v === 'object' ? Object.values(v).reduce((s: number, x) => s + leaves(x), 0) : 1;
    assert.equal(lines.length - 1, leaves(m));
  });
});
