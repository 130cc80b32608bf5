import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogram2 } from '../../../../src/core/metrics/histogram';

describe('histogram2', () => {
  it('bins both arrays over their common range', () => {
    const a = Float32Array.from([0, 0.1, 0.5, 0.9]);
    const b = Float32Array.from([-1, 1]);
    const h = histogram2(a, b, 4);
    assert.deepEqual(h.edges, [-1, -0.5, 0, 0.5, 1]);
    // 0 and 0.5 sit on left edges; the maximum 1 falls in the closed last bin.
    assert.deepEqual(h.a, [0, 0, 2, 2]);
    assert.deepEqual(h.b, [1, 0, 0, 1]);
  });

  it('counts every value exactly once', () => {
    const a = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 300 }, (_, i) => Math.cos(i) * 2);
    const h = histogram2(a, b, 17);
    assert.equal(h.edges.length, 18);
    assert.equal(
      h.a.reduce((s, c) => s + c, 0),
      1000,
    );
    assert.equal(
      h.b.reduce((s, c) => s + c, 0),
      300,
    );
  });

  it('gives a unit-wide range around a single value and a unit range when empty', () => {
    const one = histogram2(Float32Array.from([0.25, 0.25]), new Float32Array(0), 2);
    assert.deepEqual(one, { edges: [-0.25, 0.25, 0.75], a: [0, 2], b: [0, 0] });
    assert.deepEqual(histogram2(new Float32Array(0), new Float32Array(0), 2).edges, [0, 0.5, 1]);
  });
});
