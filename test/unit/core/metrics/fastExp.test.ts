import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expNonPositive } from '../../../../src/core/metrics/fastExp';
import { mulberry32 } from '../../../../src/core/util/random';

describe('expNonPositive', () => {
  it('matches Math.exp to 1e-13 relative on [-700, 0] and exactly outside', () => {
    const rng = mulberry32(3);
    for (let n = 0; n < 100000; n++) {
      const x = (n % 2 ? -45 : -705) * rng();
      if (x < -700) {
        assert.equal(expNonPositive(x), Math.exp(x));
        continue;
      }
      const rel = Math.abs(expNonPositive(x) / Math.exp(x) - 1);
      assert.ok(rel < 1e-13, `x = ${x}: relative error ${rel}`);
    }
    for (const x of [0, -40, -700, -1 / 64]) assert.ok(Math.abs(expNonPositive(x) / Math.exp(x) - 1) < 1e-13);
    for (const x of [1e-7, 0.5, -700.01, -800, -Infinity]) assert.equal(expNonPositive(x), Math.exp(x));
  });
});
