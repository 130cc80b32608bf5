import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Matrix } from '../../../../src/core/readers/checkpoint';
import { readCheckpoint } from '../../../../src/core/readers';
import { sharedDataDir, sharedDataSkip } from '../../../helpers/sharedData';

const dataDir = sharedDataDir();

function rowNorms(m: Matrix): number[] {
  return Array.from({ length: m.rows }, (_, i) => Math.hypot(...m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

test(
  'the real CLIP ViT-B/16 COCO file reads as 500 unit-norm pairs of 512 dimensions',
  { skip: dataDir ? false : sharedDataSkip },
  async () => {
    const file = path.join(dataDir!, 'clip-vitb16-coco500.npy');
    const cp = await readCheckpoint([file]);
    assert.deepEqual([cp.image.rows, cp.image.cols, cp.text.rows, cp.text.cols], [500, 512, 500, 512]);
    assert.deepEqual(cp.warnings, []);
    for (const m of [cp.image, cp.text])
      for (const norm of rowNorms(m)) assert.ok(Math.abs(norm - 1) < 1e-3, String(norm));
  },
);
