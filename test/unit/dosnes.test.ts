import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dosnes } from '../../src/core/projection/dosnes';
import { gaussian, mulberry32 } from '../../src/core/random';

/** n unit rows in two planted clusters (first half around +e0, second around +e1), and a noisy start. */
function planted(n: number, dim: number): { x: Float32Array; init: Float32Array } {
  const rng = mulberry32(11);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    for (let d = 0; d < dim; d++) row[d] = 0.15 * gaussian(rng);
    row[i < n / 2 ? 0 : 1] += 1;
    const len = Math.hypot(...row);
    for (let d = 0; d < dim; d++) row[d] /= len;
  }
  // A start that ignores the clusters, so any separation comes from the optimisation.
  const init = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = [gaussian(rng), gaussian(rng), gaussian(rng)];
    const len = Math.hypot(...v);
    v.forEach((e, c) => (init[3 * i + c] = e / len));
  }
  return { x, init };
}

describe('dosnes', () => {
  it('keeps points on the sphere, separates planted clusters, and repeats exactly', () => {
    const [n, dim] = [200, 32];
    const { x, init } = planted(n, dim);
    const y = dosnes(x, n, dim, init);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(Math.hypot(y[3 * i], y[3 * i + 1], y[3 * i + 2]) - 1) < 1e-6, "float32 unit rows");
    let [intra, inter, ni, ne] = [0, 0, 0, 0];
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const d = Math.hypot(y[3 * i] - y[3 * j], y[3 * i + 1] - y[3 * j + 1], y[3 * i + 2] - y[3 * j + 2]);
        if (i < n / 2 === j < n / 2) (intra += d), ni++;
        else (inter += d), ne++;
      }
    assert.ok(intra / ni < 0.5 * (inter / ne), `intra ${intra / ni} vs inter ${inter / ne}`);
    assert.deepEqual(dosnes(x, n, dim, init), y);
  });
});
