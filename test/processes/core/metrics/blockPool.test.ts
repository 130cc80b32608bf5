import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { CancelledError } from '../../../../src/core/util/errors';
import { analyze } from '../../../../src/core/metrics/analyze';
import { bytesPerBlockRow } from '../../../../src/core/metrics/blocks';
import { blockWorkerFile } from '../../../../src/core/metrics/pool/pool';
import type { Checkpoint } from '../../../../src/core/readers/checkpoint';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { randomCheckpoint } from '../../../helpers/randomCheckpoint';

/*
 * The pool against the in-process pass. The tests run from out/, where tsc writes
 * blockWorker.js beside pool.js, so blockWorkerFile() finds it and these exercise real workers.
 */
const budgetFor = (ckpt: Checkpoint, rows: number, workers: number) =>
  workers * rows * bytesPerBlockRow(ckpt.image.rows + ckpt.text.rows);

function sameNumbers(a: unknown, b: unknown, path = 'result'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
  } else if (a && typeof a === 'object') {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b as object).sort(), path);
    for (const k of Object.keys(a))
      sameNumbers((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  } else assert.equal(a, b, path);
}

async function poolMatchesSingleThread(ckpt: Checkpoint, rows: number): Promise<void> {
  const one = await analyze(ckpt, { workers: 1, memoryBudgetBytes: budgetFor(ckpt, rows, 1) });
  const three = await analyze(ckpt, { workers: 3, memoryBudgetBytes: budgetFor(ckpt, rows, 3) });
  sameNumbers(three.result, one.result);
  assert.deepEqual(three.detail.ranksI2T, one.detail.ranksI2T);
  assert.deepEqual(three.detail.ranksT2I, one.detail.ranksT2I);
  assert.deepEqual(three.detail.hardestNegativeT2I, one.detail.hardestNegativeT2I);
  assert.deepEqual(three.detail.positive, one.detail.positive);
}

/** OS threads of this process: a terminated worker's thread is gone (Linux). */
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

describe('block worker pool', () => {
  before(async () => {
    await initBackend('wasm');
    assert.ok(blockWorkerFile(), 'blockWorker.js should sit beside pool.js in out/');
  });

  it('gives the single-thread numbers and ranks (one caption per image: t2i from columns)', async () => {
    await poolMatchesSingleThread(generateSample({ pairs: 1100, dim: 32, seed: 3 }), 200);
  });

  it('gives the single-thread numbers and ranks for shuffled multi-caption sets', async () => {
    await poolMatchesSingleThread(
      randomCheckpoint(
        12,
        16,
        Array.from({ length: 400 }, (_, i) => 1 + (i % 3)),
      ),
      64,
    );
  });

  it('reports progress from every worker, rising to 1', async () => {
    const ckpt = generateSample({ pairs: 700, dim: 16, seed: 4 });
    const seen: number[] = [];
    await analyze(ckpt, { workers: 2, memoryBudgetBytes: budgetFor(ckpt, 100, 2), onProgress: (f) => seen.push(f) });
    assert.equal(seen.length, 7 + 7 + 7); // diagonal, image and text blocks of 100 rows
    for (let p = 1; p < seen.length; p++) assert.ok(seen[p] > seen[p - 1]);
    assert.equal(seen[seen.length - 1], 1);
  });

  it('stops its workers on cancel and leaves no tensors behind', async () => {
    const ckpt = generateSample({ pairs: 2000, dim: 64, seed: 5 });
    const before = tf.memory().numTensors;
    const threadsBefore = threads();
    const token = { isCancellationRequested: false };
    const started = performance.now();
    const run = analyze(ckpt, {
      workers: 2,
      memoryBudgetBytes: budgetFor(ckpt, 50, 2),
      token,
      onProgress: () => (token.isCancellationRequested = true),
    });
    await assert.rejects(run, CancelledError);
    // The full pass is 160 blocks; a cancel that waited for it would take far longer than one block.
    assert.ok(performance.now() - started < 5000);
    assert.equal(tf.memory().numTensors, before);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(threads(), threadsBefore, 'every worker thread has exited');
  });
});
