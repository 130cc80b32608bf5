import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyze } from '../../../../src/core/metrics/analyze';
import type { AnalysisResult, RetrievalStats } from '../../../../src/core/metrics/types';
import { readCheckpoint } from '../../../../src/core/readers';
import { geometryKeys } from '../../../helpers/metricKeys';
import { sharedDataDir, sharedDataSkip } from '../../../helpers/sharedData';

const dataDir = sharedDataDir();

/**
 * METRICS.md: float32 rounding may move one query across a near-tie (these files have them), so
 * R@K may differ by 100/N points, the mean rank by 1/N, and the median (of an even count) by 1/2.
 */
function assertRetrieval(got: RetrievalStats, ref: RetrievalStats, n: number, what: string): void {
  const within = (key: string, tol: number) =>
    assert.ok(Math.abs(got[key] - ref[key]) <= tol + 1e-9, `${what} ${key}: ${got[key]} vs ${ref[key]}`);
  for (const key of Object.keys(ref)) {
    if (key.startsWith('R@')) within(key, 100 / n);
    else if (key === 'mean_rank') within(key, 1 / n);
    else within(key, 0.5);
  }
}

describe('analyze on the real CLIP embeddings', { skip: dataDir ? false : sharedDataSkip }, () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const name of ['clip-vitb16-coco500', 'clip-random-init-coco500']) {
    it(`agrees with ${name}.reference.json`, async () => {
      const ref = JSON.parse(readFileSync(path.join(dataDir!, `${name}.reference.json`), 'utf8')) as AnalysisResult;
      const { result } = await analyze(await readCheckpoint([path.join(dataDir!, `${name}.npy`)]));
      // The reference's keys come first, in its order and nesting; additions follow.
      assert.deepEqual(Object.keys(result).slice(0, Object.keys(ref).length), Object.keys(ref));
      assert.deepEqual(Object.keys(result.i2t).slice(0, 5), Object.keys(ref.i2t));
      assert.equal(result.n, ref.n);
      assert.equal(result.dim, ref.dim);
      for (const key of geometryKeys)
        assert.ok(Math.abs(result[key] - ref[key]) <= 1e-4, `${key}: ${result[key]} vs ${ref[key]}`);
      assertRetrieval(result.i2t, ref.i2t, ref.n, 'i2t');
      assertRetrieval(result.t2i, ref.t2i, ref.n, 't2i');
    });
  }
});
