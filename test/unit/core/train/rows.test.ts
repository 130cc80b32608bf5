import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { reverseRows, splitRows } from '../../../../src/core/train/rows';

for (const backend of ['wasm', 'cpu'] as const) {
  it(`on ${backend}, row splits and reversals read once and equal tf.split and tf.reverse`, async () => {
    await initBackend(backend);
    const x = tf.tensor2d(
      Float32Array.from({ length: 6 * 4 }, (_, i) => i * 0.5 - 3),
      [6, 4],
    );
    const stack = tf.tensor3d(
      Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i),
      [3, 2, 2],
    );
    const same = (a: tf.Tensor[], b: tf.Tensor[]) => {
      assert.deepEqual(
        a.map((t) => t.shape),
        b.map((t) => t.shape),
      );
      assert.deepEqual(
        a.map((t) => Array.from(t.dataSync())),
        b.map((t) => Array.from(t.dataSync())),
      );
    };
    same(splitRows(x, 3), tf.split(x, 3));
    same(splitRows(stack, 3), tf.split(stack, 3));
    same([reverseRows(x)], [tf.reverse(x, 0)]);
  });
}
