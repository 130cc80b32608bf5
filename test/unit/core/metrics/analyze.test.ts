import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import type { Checkpoint, Matrix } from '../../../../src/core/readers/checkpoint';
import { CancelledError, InputError } from '../../../../src/core/util/errors';
import { analyze } from '../../../../src/core/metrics/analyze';
import { bytesPerBlockRow } from '../../../../src/core/metrics/blocks';
import { defaultAnalyzeOptions } from '../../../../src/core/metrics/types';
import { continuousKeys, geometryKeys } from '../../../helpers/metricKeys';
import { randomCheckpoint } from '../../../helpers/randomCheckpoint';

/*
 * The metrics of shared/METRICS.md computed the obvious way, as the reference for analyze(): every
 * pair, float64, squared distances instead of dot products, no blocking.
 */
type NaiveMetrics = Record<(typeof continuousKeys)[number], number> & { ranksI2T: number[]; ranksT2I: number[] };

function unitRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => {
    const row = Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));
    const norm = Math.hypot(...row);
    return row.map((v) => v / norm);
  });
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, d) => s + v * b[d], 0);
const sqDist = (a: number[], b: number[]) => a.reduce((s, v, d) => s + (v - b[d]) ** 2, 0);
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

function uniformity(z: number[][], t: number): number {
  const terms: number[] = [];
  for (let i = 0; i < z.length; i++)
    for (let j = i + 1; j < z.length; j++) terms.push(Math.exp(-t * sqDist(z[i], z[j])));
  return Math.log(mean(terms));
}

/** ECE of queries whose scores are `scores[q]`, true candidates `isTrue(q, j)`. */
function ece(scores: number[][], isTrue: (q: number, j: number) => boolean, tau: number, bins: number): number {
  const binConf = new Array<number>(bins).fill(0);
  const binHit = new Array<number>(bins).fill(0);
  const binCount = new Array<number>(bins).fill(0);
  scores.forEach((row, q) => {
    const top = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp((v - top) / tau), 0);
    const conf = 1 / z;
    const b = Math.min(bins - 1, Math.floor(conf * bins));
    binConf[b] += conf;
    binHit[b] += isTrue(q, row.indexOf(top)) ? 1 : 0;
    binCount[b]++;
  });
  return binCount.reduce((s, c, b) => (c ? s + (c / scores.length) * Math.abs(binHit[b] / c - binConf[b] / c) : s), 0);
}

function naiveMetrics(ckpt: Checkpoint, t: number, tau: number, bins: number): NaiveMetrics {
  const x = unitRows(ckpt.image);
  const y = unitRows(ckpt.text);
  const owner = ckpt.textToImage ? Array.from(ckpt.textToImage) : y.map((_, k) => k);
  const sim = x.map((xi) => y.map((yk) => dot(xi, yk)));
  const simT = y.map((_, k) => x.map((_, i) => sim[i][k]));
  const captionsOf = (i: number) => owner.flatMap((o, k) => (o === i ? [k] : []));
  const ranksI2T = x.map((_, i) => Math.min(...captionsOf(i).map((c) => sim[i].filter((s) => s > sim[i][c]).length)));
  const ranksT2I = y.map((_, k) => simT[k].filter((s) => s > simT[k][owner[k]]).length);
  const hardestI2T = x.map((xi, i) => Math.min(...y.filter((_, j) => owner[j] !== i).map((yj) => sqDist(xi, yj))));
  const hardestT2I = y.map((yk, k) => Math.min(...x.filter((_, i) => i !== owner[k]).map((xi) => sqDist(yk, xi))));
  const gap = x[0].map((_, d) => mean(x.map((v) => v[d])) - mean(y.map((v) => v[d])));
  return {
    uniformity: uniformity([...x, ...y], t),
    uniformity_image: uniformity(x, t),
    uniformity_text: uniformity(y, t),
    alignment: mean(y.map((yk, k) => sqDist(x[owner[k]], yk))),
    hardest_negative_alignment_i2t: mean(y.map((yk, k) => sqDist(x[owner[k]], yk) - hardestI2T[owner[k]])),
    hardest_negative_alignment_t2i: mean(y.map((yk, k) => sqDist(x[owner[k]], yk) - hardestT2I[k])),
    modality_gap: Math.hypot(...gap),
    ranksI2T,
    ranksT2I,
    ece: ece(sim, (i, j) => owner[j] === i, tau, bins),
    ece_t2i: ece(simT, (k, i) => owner[k] === i, tau, bins),
  };
}

/** R@K, median and mean rank straight from their definitions. */
function naiveRetrieval(ranks: number[], ks: number[]): Record<string, number> {
  const sorted = [...ranks].sort((a, b) => a - b);
  const n = ranks.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const out: Record<string, number> = { median_rank: median + 1, mean_rank: mean(ranks) + 1 };
  for (const k of ks) out[`R@${k}`] = (100 * ranks.filter((r) => r < k).length) / n;
  return out;
}

/** A memory budget that makes analyze() use `rows` rows per block. */
const budgetFor = (ckpt: Checkpoint, rows: number) => rows * bytesPerBlockRow(ckpt.image.rows + ckpt.text.rows);

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);

async function checkAgainstNaive(ckpt: Checkpoint, rows: number): Promise<void> {
  const ks = [1, 3, 5, 10];
  const { result, detail } = await analyze(ckpt, { memoryBudgetBytes: budgetFor(ckpt, rows), ks });
  const o = defaultAnalyzeOptions;
  const ref = naiveMetrics(ckpt, o.uniformityT, o.eceTau, o.eceBins);
  for (const key of geometryKeys) close(result[key], ref[key], 1e-5, key);
  // tau = 0.01 multiplies float32 rounding of the similarities by 100 inside the softmax.
  close(result.ece, ref.ece, 1e-4, 'ece');
  close(result.ece_t2i, ref.ece_t2i, 1e-4, 'ece_t2i');
  assert.deepEqual(Array.from(detail.ranksI2T), ref.ranksI2T);
  assert.deepEqual(Array.from(detail.ranksT2I), ref.ranksT2I);
  assert.deepEqual({ ...result.i2t }, naiveRetrieval(ref.ranksI2T, ks));
  assert.deepEqual({ ...result.t2i }, naiveRetrieval(ref.ranksT2I, ks));
  assert.equal(result.n, ckpt.text.rows);
  assert.equal(result.n_image, ckpt.image.rows);
  assert.equal(result.n_text, ckpt.text.rows);
}

describe('analyze', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const rows of [1, 7, 1000]) {
    it(`matches the naive definitions with ${rows}-row blocks (37 pairs)`, async () => {
      await checkAgainstNaive(randomCheckpoint(1, 16, new Array(37).fill(1)), rows);
    });
  }

  it('matches the naive definitions for irregular multi-caption sets', async () => {
    const captions = Array.from({ length: 23 }, (_, i) => 1 + (i % 4));
    for (const rows of [1, 10]) await checkAgainstNaive(randomCheckpoint(2, 12, captions), rows);
  });

  it('matches the naive definitions across 512-column chunks and triangle offsets', async () => {
    await checkAgainstNaive(randomCheckpoint(3, 6, new Array(600).fill(1), 2), 100);
    await checkAgainstNaive(
      randomCheckpoint(
        4,
        6,
        Array.from({ length: 300 }, (_, i) => 1 + (i % 3)),
        2,
      ),
      256,
    );
  });

  it('counts exact ties in favour of the true match', async () => {
    const ckpt = randomCheckpoint(10, 8, new Array(12).fill(1));
    const dim = 8;
    // Text 5 and image 7 duplicate text 3 and image 2: their scores tie exactly with the true pair's.
    ckpt.text.data.copyWithin(5 * dim, 3 * dim, 4 * dim);
    ckpt.image.data.copyWithin(7 * dim, 2 * dim, 3 * dim);
    await checkAgainstNaive(ckpt, 5);
  });

  it('reports the input norms and the settings used', async () => {
    const ckpt = randomCheckpoint(5, 8, new Array(20).fill(1));
    const { result } = await analyze(ckpt, { uniformityT: 3, eceTau: 0.05 });
    const norms = (m: Matrix) =>
      Array.from({ length: m.rows }, (_, r) => Math.hypot(...m.data.subarray(r * m.cols, (r + 1) * m.cols)));
    for (const [got, m] of [
      [result.input_norms.image, ckpt.image],
      [result.input_norms.text, ckpt.text],
    ] as const) {
      const n = norms(m);
      close(got.min, Math.min(...n), 1e-4, 'min norm');
      close(got.max, Math.max(...n), 1e-4, 'max norm');
      close(got.mean, n.reduce((s, v) => s + v, 0) / n.length, 1e-4, 'mean norm');
    }
    assert.equal(result.uniformity_t, 3);
    assert.equal(result.ece_tau, 0.05);
    const ref = naiveMetrics(ckpt, 3, 0.05, 15);
    close(result.uniformity, ref.uniformity, 1e-5, 'uniformity at t = 3');
    close(result.ece, ref.ece, 1e-4, 'ece at tau = 0.05');
  });

  it('fills reliability bins consistent with the ECE', async () => {
    const { result, detail } = await analyze(randomCheckpoint(6, 8, new Array(50).fill(1)), { eceTau: 0.1 });
    assert.equal(detail.reliability.length, 15);
    assert.equal(
      detail.reliability.reduce((s, b) => s + b.count, 0),
      50,
    );
    const ece = detail.reliability.reduce((s, b) => s + (b.count / 50) * Math.abs(b.accuracy - b.confidence), 0);
    close(ece, result.ece, 1e-12, 'ece from bins');
  });

  it('leaves no tensors behind, also when cancelled', async () => {
    const ckpt = randomCheckpoint(7, 8, new Array(40).fill(1));
    const before = tf.memory().numTensors;
    await analyze(ckpt, { memoryBudgetBytes: budgetFor(ckpt, 8) });
    assert.equal(tf.memory().numTensors, before);
    const token = { isCancellationRequested: false };
    const fractions: number[] = [];
    const run = analyze(ckpt, {
      memoryBudgetBytes: budgetFor(ckpt, 8),
      token,
      onProgress: (f) => {
        fractions.push(f);
        token.isCancellationRequested = true;
      },
    });
    await assert.rejects(run, CancelledError);
    assert.deepEqual(fractions.length, 1);
    assert.equal(tf.memory().numTensors, before);
  });

  it('reports progress rising to 1', async () => {
    const ckpt = randomCheckpoint(8, 8, new Array(40).fill(1));
    const seen: [number, string | undefined][] = [];
    await analyze(ckpt, { memoryBudgetBytes: budgetFor(ckpt, 16), onProgress: (f, m) => seen.push([f, m]) });
    assert.equal(seen.length, 9); // 3 diagonal blocks, 3 image blocks, 3 text blocks
    for (let p = 1; p < seen.length; p++) assert.ok(seen[p][0] > seen[p - 1][0]);
    assert.equal(seen[seen.length - 1][0], 1);
    assert.match(seen[0][1] ?? '', /block 1 of 9/);
  });

  it('rejects inputs it cannot pair, naming the file', async () => {
    const ckpt = randomCheckpoint(9, 4, new Array(6).fill(1));
    const fewer = { ...ckpt, text: { ...ckpt.text, rows: 5, data: ckpt.text.data.subarray(0, 20) } };
    await assert.rejects(
      analyze(fewer),
      (e: unknown) => e instanceof InputError && /random-9\.npy: 6 images but 5 texts/.test(e.message),
    );
    await assert.rejects(
      analyze({ ...ckpt, textToImage: Int32Array.from([0, 1, 2, 3, 4, 6]) }),
      /text 5 points to image 6/,
    );
    await assert.rejects(
      analyze({ ...ckpt, textToImage: Int32Array.from([0, 1, 2, 3, 4, 4]) }),
      /image 5 has no caption/,
    );
    const zero = { ...ckpt, image: { ...ckpt.image, data: Float32Array.from(ckpt.image.data).fill(0, 8, 12) } };
    await assert.rejects(analyze(zero), /image row 2 has norm 0/);
    await assert.rejects(analyze(ckpt, { ks: [0] }), InputError);
  });
});
