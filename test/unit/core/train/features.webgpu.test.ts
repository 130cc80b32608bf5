/**
 * The trainer's features (UnitRows): batches are the unit rows asked for, a projection in blocks
 * equals one in a single block, and on webgpu a split larger than the adapter's binding limit
 * projects as on wasm (one tensor of it would read as zeros there).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { gaussian, mulberry32 } from '../../../../src/core/util/random';
import { blockRowsFor, UnitRows } from '../../../../src/core/train/features';
import { webGpuState } from '../../../../src/core/backend/webgpuRung';
import { noWebGpuAdapter } from '../../../helpers/webgpu';

function matrix(rows: number, cols: number, seed: number): { rows: number; cols: number; data: Float32Array } {
  const rng = mulberry32(seed);
  return { rows, cols, data: Float32Array.from({ length: rows * cols }, () => gaussian(rng) * 3) };
}

async function projectOn(
  backend: 'wasm' | 'webgpu',
  m: ReturnType<typeof matrix>,
  w: ReturnType<typeof matrix>,
  blockRows?: number,
): Promise<Float32Array> {
  await initBackend(backend);
  const weights = tf.tensor2d(w.data, [w.rows, w.cols]);
  try {
    return (await new UnitRows(m, 'f.npy', 'image').project(weights, blockRows)).data;
  } finally {
    weights.dispose();
  }
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('training features', () => {
  it('a batch holds the unit rows asked for, in order', async () => {
    await initBackend('wasm');
    const m = matrix(7, 5, 1);
    const raw = m.data.slice();
    const got = new UnitRows(m, 'f.npy', 'image').batch([6, 0, 6, 3]);
    const rows = (await got.array()) as number[][];
    got.dispose();
    [6, 0, 6, 3].forEach((r, i) => {
      const src = Array.from(raw.subarray(r * 5, r * 5 + 5));
      const norm = Math.hypot(...src);
      src.forEach((v, k) => assert.ok(Math.abs(rows[i][k] - v / norm) < 1e-6));
    });
  });

  it('takes the rows in place: the split is held once', () => {
    const m = matrix(4, 3, 5);
    const data = m.data;
    const unit = new UnitRows(m, 'f.npy', 'image');
    assert.equal(m.data, data);
    for (let r = 0; r < 4; r++)
      assert.ok(Math.abs(Math.hypot(...data.subarray(r * 3, r * 3 + 3)) - 1) < 1e-6, `row ${r} is unit`);
    assert.equal(unit.rows, 4);
  });

  it('a zero row is refused, naming the file', () => {
    const m = matrix(3, 4, 2);
    m.data.fill(0, 4, 8);
    assert.throws(() => new UnitRows(m, 'train.npz', 'text'), /train\.npz.*text row 1 has norm 0/);
  });

  it('projects in blocks as in one block', async () => {
    const [m, w] = [matrix(23, 8, 3), matrix(8, 4, 4)];
    const blocks = await projectOn('wasm', m, w, 5);
    assert.ok(maxDiff(blocks, await projectOn('wasm', m, w, 23)) < 1e-6);
    for (let r = 0; r < 23; r++) assert.ok(Math.abs(Math.hypot(...blocks.subarray(r * 4, r * 4 + 4)) - 1) < 1e-5);
  });

  it('on webgpu, projects a split over the binding limit as wasm does', async (t) => {
    const skip = await noWebGpuAdapter();
    if (skip) return t.skip(skip);
    await initBackend('webgpu');
    const limit = Math.min(webGpuState()!.maxBufferSize, webGpuState()!.maxStorageBufferBindingSize);
    const cols = 2048;
    // Just over the limit where it is llvmpipe's 128 MiB; a larger limit still checks the blocks.
    const rows = Math.min(Math.floor(limit / (4 * cols)) + 1000, 20000);
    assert.ok(blockRowsFor(cols, 64) * cols * 4 <= limit);
    const [m, w] = [matrix(rows, cols, 5), matrix(cols, 64, 6)];
    const gpu = await projectOn('webgpu', m, w);
    const wasm = await projectOn('wasm', m, w);
    assert.ok(maxDiff(gpu, wasm) < 1e-4, `max |webgpu - wasm| ${maxDiff(gpu, wasm)}`);
  });
});
